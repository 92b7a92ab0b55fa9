"""Quality at a fixed budget: train shipped configs with `polyseq fit` and report the metric each reaches.

    POLYSEQ_DATA_MIRROR=../shared/data OMP_NUM_THREADS=2 python -m benchmarks.quality [--only NAME]

Each run is an ordinary `polyseq fit --config examples/configs/X.yaml` (plus the overrides listed),
for both backbones; the figure is the best logged validation metric, read from the run's
metrics.csv. Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import csv
import math
import tempfile
import time
from pathlib import Path

from polyseq.cli import main as polyseq

ROOT = Path(__file__).resolve().parents[1]

# name: (config, overrides, metric, lower is better)
RUNS = {
    "tinyshakespeare char LM": ("text_lm_tinyshakespeare", [], "val/loss", True),
    "splice junctions": ("dna_classify_splice", [], "val/acc", False),
    "ESOL, scaffold split": ("smiles_regress_esol", [], "val/rmse", True),
    "ESOL, random split": ("smiles_regress_esol", ["--data.split=random"], "val/rmse", True),
}
BACKBONES = {"transformer": [], "lstm": ["--model.backbone=rnn"]}


def best_metric(run_dir: Path, metric: str, lower: bool) -> float:
    values = []
    for path in run_dir.rglob("metrics.csv"):
        values += [float(r[metric]) for r in csv.DictReader(open(path)) if r.get(metric)]
    if not values:
        return math.nan
    return min(values) if lower else max(values)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", help="run only the entries whose name contains this")
    args = p.parse_args()
    rows = []
    for name, (config, overrides, metric, lower) in RUNS.items():
        if args.only and args.only not in name:
            continue
        for backbone, flags in BACKBONES.items():
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                rc = polyseq(["fit", "--config", str(ROOT / "examples" / "configs" / f"{config}.yaml"), *overrides, *flags,
                              "--trainer.enable_progress_bar=false", f"--trainer.default_root_dir={tmp}",
                              f"--trainer.logger.init_args.save_dir={tmp}"])
                value = best_metric(Path(tmp), metric, lower) if rc == 0 else math.nan
                rows.append((name, backbone, metric, value, time.perf_counter() - start, config, " ".join(overrides + flags)))
                print(f"{name} [{backbone}]: {metric} = {value:.4f} ({rows[-1][4]:.0f} s)", flush=True)
    print("\n| task | backbone | metric | best value | wall time | command |\n|---|---|---|---|---|---|")
    for name, backbone, metric, value, secs, config, extra in rows:
        cmd = f"`polyseq fit --config examples/configs/{config}.yaml {extra}`".replace(" `", "`")
        print(f"| {name} | {backbone} | {metric} | {value:.3f} | {secs:.0f} s | {cmd} |")


if __name__ == "__main__":
    main()
