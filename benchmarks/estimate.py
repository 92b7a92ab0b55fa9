"""`polyseq estimate` against the measured wall time of a real `polyseq fit`, for every shipped config.

For each examples/configs/*.yaml (the downloaded datasets from POLYSEQ_DATA_MIRROR):
1. estimate with no token cache (a --sample-bytes sample tokenized and scaled by file size);
2. build the run as `polyseq fit` does (tokenizing into a fresh cache, timed apart as `prepare`) and
   time `trainer.fit` alone: the training the estimate is about;
3. estimate again, now from the token cache (exact tokens per epoch): its CPU time (compute at the
   default MFU plus the overhead terms of polyseq.estimate_time) against the fit's wall time.
Long configs are capped the same way in the fit and both estimates: --trainer.max_steps=STEPS,
--trainer.limit_val_batches=VAL. Fine-tuning configs run with --model.init_from null (no pretraining
here). The CPU's fp32 matmul FLOP/s is measured 3 times right before and 3 times right after each fit
and the median given to the estimate as --cpu-flops (the machine is shared: its speed drifts); the measured MFU of a config is FLOPs / (peak * fit seconds).

--calibrate measures the constants of polyseq.estimate_time instead: the per-parameter cost of an
optimizer step and the per-element cost of attention scores, each timed alone, then fits of CALIBRATION (offline configs) at varied steps, validation
runs and epochs, whose wall times give the CPU MFU and the other overheads by non-negative least
squares (`fit_constants`). The configs judged are the others (the calibration configs' rows are marked);
`--table-from` rescores a results file with the constants now in the code.

    POLYSEQ_DATA_MIRROR=/work/shared/data OMP_NUM_THREADS=1 .venv/bin/python benchmarks/estimate.py --calibrate
    POLYSEQ_DATA_MIRROR=/work/shared/data OMP_NUM_THREADS=1 .venv/bin/python benchmarks/estimate.py
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "examples" / "configs").glob("*.yaml"))


CALIBRATION = ("dna_lm_offline", "text_lm_offline", "dna_classify_offline")
#: (steps, validation batches, train batches per epoch or None): few and many steps, with and without
#: validation, one epoch and many
GRID = ((4, 0, None), (24, 0, None), (8, 2, None), (12, 2, 2), (24, 1, 3))


def fit_argv(config: Path, tmp: Path, steps: int, val: int, limit_train: int | None = None) -> list[str]:
    argv = ["--config", str(config), f"--trainer.max_steps={steps}", f"--trainer.limit_val_batches={val}",
            "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
            f"--trainer.default_root_dir={tmp}"]
    if limit_train:
        argv.append(f"--trainer.limit_train_batches={limit_train}")
    spec = yaml.safe_load(config.read_text())
    if spec.get("model", {}).get("init_from"):
        argv.append("--model.init_from=null")
    if "logger" in spec.get("trainer", {}):
        argv.append(f"--trainer.logger.init_args.save_dir={tmp}")
    return argv


def _counter():  # a Callback class built late: Lightning imports only when a fit runs
    from pytorch_lightning import Callback

    class Count(Callback):
        """What the fit really ran: validation loops (sanity included) and epochs started."""

        validation_runs = epochs = 0

        def on_validation_start(self, trainer, pl_module):  # noqa: ANN001
            self.validation_runs += 1

        def on_train_epoch_start(self, trainer, pl_module):  # noqa: ANN001
            self.epochs += 1

    return Count()


def one(config: Path, steps: int, val: int, sample_bytes: int, cache: Path | None = None,
        limit_train: int | None = None) -> dict:
    from polyseq.estimate import estimate, measure_cpu_flops
    from polyseq.training.cli import build

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["POLYSEQ_CACHE"] = str(Path(tmp) / "cache")  # no cache: the sampled estimate
        argv = fit_argv(config, Path(tmp), steps, val, limit_train)
        before = [measure_cpu_flops() for _ in range(3)]
        sampled = estimate(argv, cpu_flops=before[1], sample_bytes=sample_bytes) if sample_bytes else None
        if cache is not None:
            os.environ["POLYSEQ_CACHE"] = str(cache)
        start = time.perf_counter()
        cli = build(argv, run=False)
        prepare = time.perf_counter() - start
        count = _counter()
        cli.trainer.callbacks.append(count)
        start = time.perf_counter()
        cli.trainer.fit(cli.model, cli.datamodule)
        seconds = time.perf_counter() - start
        after = [measure_cpu_flops() for _ in range(3)]
        peak = statistics.median(before + after)  # the machine's speed around the fit (it is shared)
        cached = estimate(argv, cpu_flops=peak)
    cpu = next(d for d in cached.devices if d["device"] == "cpu")
    return {
        "config": config.stem, "steps": steps, "val": val, "limit_train_batches": limit_train,
        "peak_flops": peak, "peak_flops_before": before, "peak_flops_after": after, "fit_seconds": seconds, "prepare_seconds": prepare,
        "batches": cached.total_batches, "trained_batches": cli.trainer.global_step * max(1, cli.trainer.accumulate_grad_batches),
        "optimizer_steps": cached.optimizer_steps, "validation_runs": cached.validation_runs,
        "epochs_started": math.ceil(cached.epochs), "attention_scores": cached.attention_scores,
        "validation_attention_scores": cached.validation_attention_scores, "fit_validation_runs": count.validation_runs, "fit_epochs": count.epochs,
        "flops": cached.total_flops, "parameters": cached.parameters,
        "tokens_per_epoch": cached.tokens_per_epoch,
        "sampled_tokens_per_epoch": sampled.tokens_per_epoch if sampled else None,
        "sampled_source": sampled.tokens_source if sampled else None,
        "sampled_flops": sampled.total_flops if sampled else None,
        "measured_mfu": cached.total_flops / (peak * seconds),
        "mfu": cpu["mfu"], "compute_seconds": cpu["compute_seconds"],
    }


def score(r: dict) -> None:
    """The CPU estimate of row `r` with the constants now in polyseq.estimate_time (so a recalibration
    rescores a results file without refitting): compute + overhead terms, and its ratio to the fit."""
    from polyseq.estimate_time import DEVICES, Counts, overhead_terms

    r["mfu"] = DEVICES["cpu"][1]
    counts = Counts(r["parameters"], r["batches"], r["optimizer_steps"], r["validation_runs"], r["epochs_started"],
                    r["attention_scores"], r["validation_attention_scores"])
    r["overheads"] = {t["term"]: t["seconds"] for t in overhead_terms(counts, r["peak_flops"])}
    r["compute_seconds"] = r["flops"] / (r["peak_flops"] * r["mfu"])
    r["estimated_seconds"] = r["compute_seconds"] + sum(r["overheads"].values())
    r["ratio"] = r["estimated_seconds"] / r["fit_seconds"]


def write(rows: list[dict], args: argparse.Namespace) -> dict:
    """Scored rows and the summary, written to --out (after every config)."""
    import torch

    for r in rows:
        score(r)
    judged = [r for r in rows if r["config"] not in CALIBRATION]
    summary = {"threads": torch.get_num_threads(), "steps": args.steps, "val": args.val,
               "load_average": getattr(args, "load_average", None) or os.getloadavg(), "calibration_configs": list(CALIBRATION),
               "median_measured_mfu": statistics.median(r["measured_mfu"] for r in rows) if rows else None,
               "within_2x": sum(0.5 <= r["ratio"] <= 2 for r in rows), "configs": len(rows),
               "within_2x_judged": sum(0.5 <= r["ratio"] <= 2 for r in judged), "judged": len(judged), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1))
    return summary


def measure_param_step(sizes: tuple[int, ...] = (1_000_000, 4_000_000), repeats: int = 12) -> float:
    """Seconds per parameter of one optimizer step as Lightning takes it here (gradient clipping at 1.0,
    AdamW, zero_grad), timed alone on N parameters in 8 tensors: the median over repeats and sizes."""
    import torch

    per_parameter = []
    for n in sizes:
        params = [torch.nn.Parameter(torch.randn(n // 8)) for _ in range(8)]
        optimizer = torch.optim.AdamW(params, lr=1e-3)
        for i in range(repeats):
            for p in params:
                p.grad = torch.randn_like(p)
            start = time.perf_counter()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad()
            if i >= 2:  # the first steps allocate AdamW's state
                per_parameter.append((time.perf_counter() - start) / n)
    return statistics.median(per_parameter)


def measure_score_cost(peak: float, mfu: float, shape: tuple[int, int, int, int] = (16, 4, 256, 32),
                       repeats: int = 5) -> tuple[float, float]:
    """Seconds per attention score element beyond the matmuls, (training, validation): the built-in
    backbones' scaled_dot_product_attention with a padding mask, forward and backward with dropout 0.1,
    and forward alone without, each timed alone (median), less its matmul FLOPs at peak * MFU."""
    import torch
    import torch.nn.functional as F

    b, h, t, d = shape
    q, k, v = (torch.randn(b, h, t, d, requires_grad=True) for _ in range(3))
    mask = torch.ones(b, 1, t, t, dtype=torch.bool)
    mask[:, :, :, 3 * t // 4:] = False
    elements, matmuls = b * h * t * t, 4 * b * h * t * t * d

    def timed(train: bool) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            if train:
                F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.1).sum().backward()
            else:
                with torch.no_grad():
                    F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            times.append(time.perf_counter() - start)
        return statistics.median(times[1:])

    train = (timed(True) - 3 * matmuls / (peak * mfu)) / elements
    evaluation = (timed(False) - matmuls / (peak * mfu)) / elements
    return max(0.0, train), max(0.0, evaluation)


def fit_constants(rows: list[dict], param_step: float, scores: tuple[float, float]) -> dict:
    """CPU MFU and the overheads from calibration fits: with s = reference / peak of the fit (the reference
    the median peak), the per-step and attention-score terms (measured apart, in seconds at the reference)
    subtracted, wall = FLOPs / peak / MFU
    + s (FIT_S + batches BATCH_S + runs VALIDATION_S + epochs EPOCH_S) fitted by non-negative least
    squares on the relative error (each fit weighted by 1 / its wall time)."""
    import numpy as np
    from scipy.optimize import nnls

    reference = statistics.median(r["peak_flops"] for r in rows)
    s = np.array([reference / r["peak_flops"] for r in rows])
    a = np.array([[r["flops"] / r["peak_flops"], 1.0, r["batches"], r["validation_runs"], r["epochs_started"]] for r in rows])
    a[:, 1:] *= s[:, None]
    wall = np.array([r["fit_seconds"] for r in rows])
    measured = s * np.array([r["optimizer_steps"] * r["parameters"] * param_step + r["attention_scores"] * scores[0]
                             + r["validation_attention_scores"] * scores[1] for r in rows])
    b = wall - measured
    x, _ = nnls(a / wall[:, None], b / wall)
    ratios = (a @ x + measured) / wall
    return {"MFU": 1 / x[0], "REFERENCE_FLOPS": reference, "FIT_S": x[1], "BATCH_S": x[2], "PARAM_STEP_S": param_step,
            "VALIDATION_S": x[3], "EPOCH_S": x[4], "SCORE_S": scores[0], "VALIDATION_SCORE_S": scores[1],
            "ratios": ratios.tolist()}


def recount(rows: list[dict], cache: Path | None) -> None:
    """Add the attention-score counts to rows written before they existed: each row's run estimated again."""
    from polyseq.estimate import estimate

    for r in rows:
        if "attention_scores" in r:
            continue
        if cache is not None:
            os.environ["POLYSEQ_CACHE"] = str(cache)
        with tempfile.TemporaryDirectory() as tmp:
            config = ROOT / "examples" / "configs" / f"{r['config']}.yaml"
            argv = fit_argv(config, Path(tmp), r.get("steps", 8), r.get("val", 2), r.get("limit_train_batches"))
            e = estimate(argv, cpu_flops=r["peak_flops"])
        assert (e.total_batches, e.validation_runs) == (r["batches"], r["validation_runs"]), r["config"]
        r["attention_scores"], r["validation_attention_scores"] = e.attention_scores, e.validation_attention_scores


def calibrate(args: argparse.Namespace) -> int:
    """Fits of CALIBRATION over GRID (or the rows of --calibrate-from); the constants by `fit_constants`."""
    from polyseq.estimate import measure_cpu_flops
    from polyseq.estimate_time import REFERENCE_FLOPS

    peak = statistics.median(measure_cpu_flops() for _ in range(3))
    costs = [measure_score_cost(peak, args.mfu, (16, 4, t, 32)) for t in (128, 256, 512)]  # the configs' lengths
    train, evaluation = (statistics.median(c[i] for c in costs) for i in (0, 1))
    scores = (train * peak / REFERENCE_FLOPS, evaluation * peak / REFERENCE_FLOPS)  # at the reference peak
    if args.calibrate_from:
        saved = json.loads(args.calibrate_from.read_text())
        rows, param_step = saved["rows"], saved.get("param_step_s") or measure_param_step()
        if args.recount:
            recount(rows, args.cache)
    else:
        param_step, rows = measure_param_step(), []
        for _ in range(args.repeats):  # interleaved repeats: each pass runs every point once
            for stem in CALIBRATION:
                for steps, val, limit in GRID:
                    r = one(ROOT / "examples" / "configs" / f"{stem}.yaml", steps, val, 0, args.cache, limit)
                    rows.append(r)
                    print(f"{stem} steps={steps} val={val} limit={limit}: fit {r['fit_seconds']:.2f} s, val runs "
                          f"{r['validation_runs']} (fit {r['fit_validation_runs']}), epochs {r['epochs_started']} "
                          f"(fit {r['fit_epochs']})", file=sys.stderr, flush=True)
    constants = fit_constants(rows, param_step, scores)
    ratios = constants.pop("ratios")
    out = {"configs": list(CALIBRATION), "grid": GRID, "load_average": os.getloadavg(), "param_step_s": param_step,
           "score_peak_flops": peak, "score_s_at_peak": [train, evaluation],
           "constants": constants, "ratios": ratios, "rows": rows}
    path = args.out.with_name("estimate_calibration.json") if args.out.name == "estimate.json" else args.out
    path.write_text(json.dumps(out, indent=1))
    print(json.dumps(constants, indent=1))
    print(f"fitted / measured on the {len(rows)} calibration fits: min {min(ratios):.2f}, median "
          f"{statistics.median(ratios):.2f}, max {max(ratios):.2f}; written to {path}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="cap on optimizer steps (default 8)")
    parser.add_argument("--val", type=int, default=2, help="cap on validation batches per run (default 2)")
    parser.add_argument("--sample-bytes", type=int, default=64 << 10,
                        help="sample budget of the no-cache estimate (0: no sampled estimate)")
    parser.add_argument("--only", nargs="*", help="config stems, run in this order")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "estimate.json")
    parser.add_argument("--skip", nargs="*", default=[], help="config stems to leave out")
    parser.add_argument("--cache", type=Path, help="token cache of the fits (default: a fresh one per config, "
                        "so each config is tokenized again); the sampled estimate always starts without one")
    parser.add_argument("--calibrate", action="store_true", help="measure the overhead constants (see above)")
    parser.add_argument("--calibrate-from", type=Path, help="--calibrate on the fits of a calibration JSON written earlier")
    parser.add_argument("--recount", action="store_true", help="with --table-from or --calibrate-from: add the "
                        "attention-score counts to rows written before they existed (estimates again, no fits)")
    parser.add_argument("--mfu", type=float, default=0.3, help="--calibrate: CPU MFU the attention matmuls are "
                        "subtracted at (the fitted MFU)")
    parser.add_argument("--repeats", type=int, default=2, help="--calibrate: interleaved passes over the grid")
    parser.add_argument("--table-from", type=Path, help="rescore a results JSON written earlier with the constants "
                        "now in polyseq.estimate_time and print its table")
    args = parser.parse_args()
    if args.table_from:
        summary = json.loads(args.table_from.read_text())
        if args.recount:
            logging.disable(logging.WARNING)
            recount(summary["rows"], args.cache)
            args.table_from.write_text(json.dumps(summary, indent=1))
        args.out, args.steps, args.val = args.table_from, summary["steps"], summary["val"]
        args.load_average = summary.get("load_average")  # of the run, not of this rescoring
        print_table(write(summary["rows"], args))  # rescored and written back
        return 0
    logging.disable(logging.WARNING)
    if args.calibrate or args.calibrate_from:
        return calibrate(args)
    rows: list[dict] = []
    configs = [ROOT / "examples" / "configs" / f"{stem}.yaml" for stem in args.only] if args.only else CONFIGS
    for config in configs:  # in --only's order: the slow ones can come last
        if config.stem in args.skip:
            continue
        try:
            rows.append(one(config, args.steps, args.val, args.sample_bytes, args.cache))
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
    print("| config | params | tokens/epoch (cache) | sampled estimate | batches | val runs | epochs | GFLOP | fit s | "
          "compute s | overheads s | estimated s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if 0.5 <= r["ratio"] <= 2 else f"**{r['ratio']:.2f}**"
        mark = " (calibration)" if r["config"] in summary.get("calibration_configs", ()) else ""
        sampled = f"{r['sampled_tokens_per_epoch']:,}" if r.get("sampled_tokens_per_epoch") is not None else "-"
        print(f"| {r['config']}{mark} | {r['parameters']:,} | {r['tokens_per_epoch']:,} | {sampled} | {r['batches']} | "
              f"{r['validation_runs']} | {r['epochs_started']} | {r['flops'] / 1e9:.1f} | {r['fit_seconds']:.1f} | "
              f"{r['compute_seconds']:.1f} | {sum(r['overheads'].values()):.1f} | {r['estimated_seconds']:.1f} | {ratio} |")
    within = sum(0.5 <= r["ratio"] <= 2 for r in rows)
    judged = [r for r in rows if r["config"] not in summary.get("calibration_configs", ())]
    print(f"\nwithin 2x: {within}/{len(rows)} ({sum(0.5 <= r['ratio'] <= 2 for r in judged)}/{len(judged)} of the "
          f"configs not used for calibration); median measured MFU {summary.get('median_measured_mfu') or 0:.3f}; "
          f"torch threads {summary['threads']}")


if __name__ == "__main__":
    sys.exit(main())
