"""`polyseq plot RUN_DIR`: PNG plots of a finished run (curves; confusion matrix + ROC or predicted vs true).

The drawing lives in `polyseq.views.run_plots`; this module only parses flags and prints a line per file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from polyseq.errors import ConfigError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "plot",
        help="PNG plots of a finished run: loss/metric/learning-rate/throughput curves; confusion matrix and ROC "
        "(classifiers) or predicted vs true (regressors) on the validation split",
        description="Curves come from the run's metrics.csv. For tasks with a result plot (classify, regress) the "
        "best (else last) checkpoint is run over the validation split rebuilt from the run's config.yaml.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", type=Path,
                   help="the run's version folder (runs/lightning_logs/version_N) or a folder above it (the newest run is plotted)")
    p.add_argument("--out", type=Path, default=None, help="folder for the PNG files (default: RUN_DIR/plots)")
    p.add_argument("--ckpt", default=None, help="the checkpoint to evaluate (default: the run's best, else last.ckpt)")
    p.add_argument("--curves-only", action="store_true", help="plot metrics.csv only; load no checkpoint and no data")
    p.add_argument("--batch-size", type=int, default=64, help="validation records per forward pass")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from polyseq.views.run_plots import plot_run

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {args.batch_size}")
    found, plots = plot_run(args.run_dir, args.out, args.ckpt, args.curves_only, args.batch_size)
    for note in found.notes:
        print(f"polyseq plot: {note}", file=sys.stderr)
    for plot in plots:
        print(plot.path)
    return 0
