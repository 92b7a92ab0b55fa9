"""Inference choices for finished classify runs: test-time augmentation, a seed ensemble, both.

    python -m benchmarks.tta_ensemble RUN_FOLDER... [--tta 16] [--augment randomize] [--work DIR]

For each run folder (a `polyseq compare` run: config.yaml, checkpoints/best-*.ckpt chosen on validation)
this calls `polyseq predict --split val|test` twice, without and with `--tta N --augment NAME`, and
reads each record's class probabilities back from the CSVs. Runs that share a dataset name (the run id
without its `-s<seed>` suffix: the same split) are then averaged into an ensemble, record by record.
It prints, per dataset and candidate, the ROC-AUC on validation and on test:

    single     each run as trained (the mean over its seeds)
    tta        each run, its probabilities averaged over the record and N-1 augmented copies
    ensemble   the mean of the seeds' probabilities
    ens+tta    the mean of the seeds' TTA probabilities

and, last, the mean over datasets of each candidate. Which candidate a recipe uses is decided on the
validation column only; the rule for BBBP is written in BENCHMARKS.md ("BBBP: test-time augmentation
and seed ensembles") before this was run on the splits it decides. ROC-AUC is torchmetrics', as in
every `polyseq` report.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from statistics import mean

import torch
from torchmetrics.functional.classification import binary_auroc

CANDIDATES = ("single", "tta", "ensemble", "ens+tta")


def predict(run: Path, split: str, tta: int, augment: str, work: Path) -> dict[str, tuple[float, int]]:
    """{record id: (probability of the positive class, target)} for one run, split and TTA setting."""
    best = sorted((run / "checkpoints").glob("best-*.ckpt"))
    if len(best) != 1:
        sys.exit(f"{run}: expected one checkpoints/best-*.ckpt, found {len(best)}")
    out = work / f"{run.name}-{split}-tta{tta}.csv"
    if not out.exists():
        extra = ["--tta", str(tta), "--augment", augment] if tta > 1 else []
        cmd = ["polyseq", "predict", "--ckpt", str(best[0]), "--split", split, "--out", str(out), *extra]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            out.unlink(missing_ok=True)
            sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    positive = [c for c in rows[0] if c.startswith("prob_")][-1]  # prob_0, prob_1: the second class
    return {r["id"]: (float(r[positive]), int(r["target"])) for r in rows}


def auroc(probs: dict[str, tuple[float, int]]) -> float:
    ids = sorted(probs)
    p = torch.tensor([probs[i][0] for i in ids])
    y = torch.tensor([probs[i][1] for i in ids])
    return float(binary_auroc(p, y))


def average(runs: list[dict[str, tuple[float, int]]]) -> dict[str, tuple[float, int]]:
    ids = set(runs[0])
    if any(set(r) != ids for r in runs):
        sys.exit("the runs of one dataset predicted different records: their splits differ (data.seed?)")
    return {i: (mean(r[i][0] for r in runs), runs[0][i][1]) for i in ids}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run folders of finished classify runs")
    ap.add_argument("--tta", type=int, default=16)
    ap.add_argument("--augment", default="randomize")
    ap.add_argument("--work", type=Path, default=Path("/tmp/polyseq-tta-ensemble"),
                    help="where the prediction CSVs go (kept: a rerun reuses them)")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Path]] = defaultdict(list)
    for run in args.runs:
        groups[re.sub(r"-s\d+$", "", run.name)].append(run)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name, runs in sorted(groups.items()):
        table[name] = {c: {} for c in CANDIDATES}
        for split in ("val", "test"):
            plain = [predict(r, split, 1, args.augment, args.work) for r in runs]
            tta = [predict(r, split, args.tta, args.augment, args.work) for r in runs]
            table[name]["single"][split] = mean(auroc(p) for p in plain)
            table[name]["tta"][split] = mean(auroc(p) for p in tta)
            table[name]["ensemble"][split] = auroc(average(plain))
            table[name]["ens+tta"][split] = auroc(average(tta))
        print(f"{name} ({len(runs)} runs): " + "; ".join(
            f"{c} val {v['val']:.3f} test {v['test']:.3f}" for c, v in table[name].items()), flush=True)
    print(f"\n| candidate | mean val ROC-AUC | mean test ROC-AUC | per dataset test ({', '.join(table)}) |")
    print("|---|---|---|---|")
    for c in CANDIDATES:
        val = mean(t[c]["val"] for t in table.values())
        test = mean(t[c]["test"] for t in table.values())
        per = " / ".join(f"{t[c]['test']:.3f}" for t in table.values())
        print(f"| {c} | {val:.4f} | {test:.4f} | {per} |")


if __name__ == "__main__":
    main()
