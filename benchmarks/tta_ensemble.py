"""Inference choices for finished classify runs: test-time augmentation, a seed ensemble, both.

    python -m benchmarks.tta_ensemble RUN_FOLDER... [--tta 16] [--augment randomize] [--work DIR]

For each dataset (the run id without its `-s<seed>` suffix: runs of one split) this calls
`polyseq predict --split val|test` and reads the ROC-AUC it prints, four ways:

    single     each run as trained (the mean over its seeds)
    tta        each run with `--tta N --augment NAME`: each record averaged over itself and N-1 copies
    ensemble   `--ckpt` of all the seeds' checkpoints: their probabilities averaged
    ens+tta    both

It prints each dataset's validation and test ROC-AUC per way, then the means over datasets. Which candidate a recipe uses is decided on the
validation column only; the rule for BBBP is written in BENCHMARKS.md ("BBBP: test-time augmentation
and seed ensembles") before this was run on the splits it decides. ROC-AUC is torchmetrics', as in
every `polyseq` report.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from statistics import mean

CANDIDATES = ("single", "tta", "ensemble", "ens+tta")


def best(run: Path) -> str:
    found = sorted((run / "checkpoints").glob("best-*.ckpt"))
    if len(found) != 1:
        sys.exit(f"{run}: expected one checkpoints/best-*.ckpt, found {len(found)}")
    return str(found[0])


def auroc(runs: list[Path], split: str, tta: int, augment: str, work: Path) -> float:
    """The ROC-AUC `polyseq predict` prints for the checkpoints of `runs` (an ensemble when several)."""
    extra = ["--tta", str(tta), "--augment", augment] if tta > 1 else []
    cmd = ["polyseq", "predict", "--ckpt", *map(best, runs), "--split", split, "--out", str(work / "p.csv"), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    printed = dict(line.split("\t") for line in done.stdout.splitlines() if "\t" in line)
    if done.returncode != 0 or f"{split}/auroc" not in printed:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return float(printed[f"{split}/auroc"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run folders of finished classify runs")
    ap.add_argument("--tta", type=int, default=16)
    ap.add_argument("--augment", default="randomize")
    ap.add_argument("--work", type=Path, default=Path("/tmp/polyseq-tta-ensemble"),
                    help="where predict writes its CSV (overwritten by each call)")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Path]] = defaultdict(list)
    for run in args.runs:
        groups[re.sub(r"-s\d+$", "", run.name)].append(run)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name, runs in sorted(groups.items()):
        table[name] = {c: {} for c in CANDIDATES}
        for split in ("val", "test"):
            for c, tta in (("single", 1), ("tta", args.tta)):
                table[name][c][split] = mean(auroc([r], split, tta, args.augment, args.work) for r in runs)
            table[name]["ensemble"][split] = auroc(runs, split, 1, args.augment, args.work)
            table[name]["ens+tta"][split] = auroc(runs, split, args.tta, args.augment, args.work)
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
