"""`polyseq estimate` against the measured wall time of a real `polyseq fit`, for every shipped config.

For each examples/configs/*.yaml (the downloaded datasets from POLYSEQ_DATA_MIRROR):
1. estimate with no token cache (a --sample-bytes sample tokenized and scaled by file size);
2. build the run as `polyseq fit` does (tokenizing into a fresh cache, timed apart as `prepare`) and
   time `trainer.fit` alone: the training the estimate is about;
3. estimate again, now from the token cache (exact tokens per epoch).
Long configs are capped the same way in the fit and both estimates: --trainer.max_steps=STEPS,
--trainer.limit_val_batches=VAL. Fine-tuning configs run with --model.init_from null (no pretraining
here). The CPU's fp32 matmul FLOP/s is measured right before each fit (median of 3); the
measured MFU of a config is FLOPs / (peak * fit seconds). The calibrated CPU MFU is the median over
configs, and each config's estimated time uses the median of the *other* configs (leave-one-out),
so no config is judged by a constant fitted to itself.

    POLYSEQ_DATA_MIRROR=/work/shared/data OMP_NUM_THREADS=1 .venv/bin/python benchmarks/estimate.py
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "examples" / "configs").glob("*.yaml"))


def fit_argv(config: Path, tmp: Path, steps: int, val: int) -> list[str]:
    argv = ["--config", str(config), f"--trainer.max_steps={steps}", f"--trainer.limit_val_batches={val}",
            "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
            f"--trainer.default_root_dir={tmp}"]
    spec = yaml.safe_load(config.read_text())
    if spec.get("model", {}).get("init_from"):
        argv.append("--model.init_from=null")
    if "logger" in spec.get("trainer", {}):
        argv.append(f"--trainer.logger.init_args.save_dir={tmp}")
    return argv


def one(config: Path, steps: int, val: int, sample_bytes: int) -> dict:
    from polyseq.estimate import estimate, measure_cpu_flops
    from polyseq.training.cli import build

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["POLYSEQ_CACHE"] = str(Path(tmp) / "cache")
        argv = fit_argv(config, Path(tmp), steps, val)
        peak = statistics.median(measure_cpu_flops() for _ in range(3))
        sampled = estimate(argv, cpu_flops=peak, sample_bytes=sample_bytes)
        start = time.perf_counter()
        cli = build(argv, run=False)
        prepare = time.perf_counter() - start
        start = time.perf_counter()
        cli.trainer.fit(cli.model, cli.datamodule)
        seconds = time.perf_counter() - start
        cached = estimate(argv, cpu_flops=peak)
    return {
        "config": config.stem, "peak_flops": peak, "fit_seconds": seconds, "prepare_seconds": prepare,
        "batches": cached.total_batches, "trained_batches": cli.trainer.global_step * max(1, cli.trainer.accumulate_grad_batches),
        "flops": cached.total_flops, "parameters": cached.parameters,
        "tokens_per_epoch": cached.tokens_per_epoch, "sampled_tokens_per_epoch": sampled.tokens_per_epoch,
        "sampled_source": sampled.tokens_source, "sampled_flops": sampled.total_flops,
        "measured_mfu": cached.total_flops / (peak * seconds),
    }


def write(rows: list[dict], args: argparse.Namespace) -> dict:
    """Leave-one-out estimated times and ratios; the summary written to --out (after every config)."""
    import torch

    mfus = [r["measured_mfu"] for r in rows]
    for i, r in enumerate(rows):
        others = statistics.median(mfus[:i] + mfus[i + 1:]) if len(mfus) > 1 else mfus[0]
        r["estimated_seconds"] = r["flops"] / (r["peak_flops"] * others)
        r["ratio"] = r["estimated_seconds"] / r["fit_seconds"]
    summary = {"threads": torch.get_num_threads(), "steps": args.steps, "val": args.val,
               "calibrated_cpu_mfu": statistics.median(mfus) if mfus else None,
               "within_2x": sum(0.5 <= r["ratio"] <= 2 for r in rows), "configs": len(rows), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1))
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="cap on optimizer steps (default 40)")
    parser.add_argument("--val", type=int, default=5, help="cap on validation batches per run (default 5)")
    parser.add_argument("--sample-bytes", type=int, default=64 << 10, help="sample budget of the no-cache estimate")
    parser.add_argument("--only", nargs="*", help="config stems")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "estimate.json")
    parser.add_argument("--skip", nargs="*", default=[], help="config stems to leave out")
    parser.add_argument("--table-from", type=Path, help="only print the table of a results JSON written earlier")
    args = parser.parse_args()
    if args.table_from:
        print_table(json.loads(args.table_from.read_text()))
        return 0
    logging.disable(logging.WARNING)
    rows: list[dict] = []
    for config in CONFIGS:
        if (args.only and config.stem not in args.only) or config.stem in args.skip:
            continue
        try:
            rows.append(one(config, args.steps, args.val, args.sample_bytes))
        except Exception as e:  # a dataset missing from the mirror: reported, the others go on
            print(f"{config.stem}: skipped ({type(e).__name__}: {str(e).splitlines()[0][:160]})", file=sys.stderr)
            continue
        r = rows[-1]
        print(f"{r['config']}: fit {r['fit_seconds']:.1f} s, {r['flops'] / 1e9:.1f} GFLOP, peak "
              f"{r['peak_flops'] / 1e9:.1f} GFLOP/s, MFU {r['measured_mfu']:.3f}", file=sys.stderr, flush=True)
        write(rows, args)
    print_table(write(rows, args))
    return 0


def print_table(summary: dict) -> None:
    rows = summary["rows"]
    print(f"| config | params | tokens/epoch (cache) | sampled estimate | batches | GFLOP | fit s | estimated s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['config']} | {r['parameters']:,} | {r['tokens_per_epoch']:,} | {r['sampled_tokens_per_epoch']:,} | "
              f"{r['batches']} | {r['flops'] / 1e9:.1f} | {r['fit_seconds']:.1f} | {r['estimated_seconds']:.1f} | "
              f"{r['ratio']:.2f} |")
    print(f"\ncalibrated CPU MFU (median): {summary['calibrated_cpu_mfu']:.3f}; within 2x: "
          f"{summary['within_2x']}/{summary['configs']}; torch threads {summary['threads']}")


if __name__ == "__main__":
    sys.exit(main())
