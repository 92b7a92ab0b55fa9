"""`polyseq compare CONFIG.yaml`: a grid of runs under one budget -> results.csv, report.md, plots.

Finished runs are skipped, so running the same command again after an interruption completes the
grid; `--tokenizers-only` measures the tokenizers alone, in seconds.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from typing import Any

from polyseq.errors import ConfigError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("compare", help="run a grid of datasets x backbones x tokenizers x seeds; write a report",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="a comparison YAML (examples/compare_quick.yaml shows every key)")
    p.add_argument("--tokenizers-only", action="store_true", help="only the tokenizer statistics (no training)")
    p.add_argument("--output", help="output folder (default: the config's `output`)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="override the budget: optimiser steps per run")
    budget.add_argument("--minutes", type=float, help="override the budget: minutes of training per run")
    p.add_argument("--seeds", type=int, nargs="+", help="override the config's seeds")
    p.add_argument("--only", nargs="+", metavar="PATTERN", help="run only the runs whose id matches a glob pattern "
                   "(e.g. 'dna_*'); the report still covers every finished run")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process "
                   "(one GPU each when there are GPUs, else a share of the CPU threads); default 1")
    p.add_argument("--list", action="store_true", help="print the run ids of the grid and whether each is finished")
    p.add_argument("--run-one", help=argparse.SUPPRESS)  # what --jobs children run
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from polyseq.compare import compare, load_config
    from polyseq.compare.runner import read_result, run_one

    cfg = load_config(args.config, output=args.output, steps=args.steps, minutes=args.minutes, seeds=args.seeds)
    by_id = {r.run_id: r for r in cfg.runs}
    if args.run_one:
        run_one(cfg, by_id[args.run_one])
        return 0
    if args.list:
        for spec in cfg.runs:
            print(f"{spec.run_id}\t{'finished' if read_result(cfg, spec) else 'to run'}")
        return 0
    only = None
    if args.only:
        only = [r for r in cfg.runs if any(fnmatch.fnmatch(r.run_id, p) for p in args.only)]
        if not only:
            raise ConfigError(f"--only {' '.join(args.only)}: no run id matches; `polyseq compare {args.config} --list` shows them")
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {args.jobs}")
    child_argv = [f"--output={cfg.output}"]
    child_argv += [f"--steps={args.steps}"] if args.steps else [f"--minutes={args.minutes}"] if args.minutes else []
    child_argv += ["--seeds", *map(str, args.seeds)] if args.seeds else []

    def say(line: str) -> None:
        print(f"polyseq compare: {line}", file=sys.stderr, flush=True)

    command = " ".join(["polyseq compare", *sys.argv[2:]]) if sys.argv[1:2] == ["compare"] else f"polyseq compare {args.config}"
    out = compare(cfg, command=command, tokenizers_only=args.tokenizers_only, only=only, jobs=args.jobs,
                  child_argv=child_argv, say=say)
    if out["written"]:
        import os

        say(f"wrote {', '.join(os.path.relpath(p, cfg.output) for p in out['written'])} in {cfg.output}")
    failed = [r["row"]["run_id"] for r in out.get("results", {}).values() if r["row"]["status"] != "finished"]
    if failed:
        say(f"{len(failed)} run(s) failed: {', '.join(failed)} (their logs: {cfg.output / 'runs'}/<id>/log.txt); "
            "running the same command again retries them")
        return 1
    return 0
