"""Time of a `polyseq fit` run per device: the FLOPs at a stated MFU, plus, on this CPU, the overheads
that FLOPs do not see.

    seconds = FLOPs / (peak * MFU)                  compute: training (3 x forward) and validation (1 x forward)
            + FIT_S                                 once per fit: loops, callbacks and logger set up, first batches
            + batches * BATCH_S                     per training batch: loader, collate, the Python of forward/backward
            + optimizer_steps * N * PARAM_STEP_S    per optimizer step over N parameters: gradient clipping, AdamW, zero_grad
            + validation_runs * VALIDATION_S        per validation loop (sanity check included): loader start, metrics
            + epochs_started * EPOCH_S              per epoch: loader restart, epoch-end checkpoint and metrics

The constants were measured on this machine (2 shared cores, one torch thread) by
`benchmarks/estimate.py --calibrate`: PARAM_STEP_S by timing an optimizer step alone; the CPU MFU
and the other overheads by non-negative least squares over fits of three offline configs at varied
steps, validation runs and epochs (BENCHMARKS.md, "Cost estimates"). BATCH_S also holds what a
small model loses to matmuls too small for the peak. On GPUs the per-step Python and AdamW costs differ (and overlap
with kernels), so the GPU rows are the compute term alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from polyseq.errors import ConfigError

#: peak FLOP/s and default MFU per device. None: this machine's CPU, measured at run time.
#: CPU MFU 0.28: fitted with the overheads below (0.2 before they existed, when it absorbed them).
DEVICES: dict[str, tuple[float | None, float, str]] = {
    "cpu": (None, 0.28, "this machine, fp32 matmul measured now"),
    "A100": (312e12, 0.35, "bf16 dense"),
    "H100": (989e12, 0.35, "SXM bf16 dense"),
    "H200": (989e12, 0.35, "bf16 dense"),
}

#: the CPU overheads (seconds), measured by `benchmarks/estimate.py --calibrate` (benchmarks/results/
#: estimate_calibration.json: 30 fits of dna_lm_offline, text_lm_offline, dna_classify_offline)
FIT_S = 0.08
BATCH_S = 0.12
PARAM_STEP_S = 2.4e-8  # an optimizer step timed alone: clipping + AdamW + zero_grad, per parameter
VALIDATION_S = 0.09
EPOCH_S = 0.09


@dataclass(frozen=True)
class Counts:
    """What the overhead terms count, from the estimate's schedule."""

    parameters: int
    batches: int
    optimizer_steps: int
    validation_runs: int
    epochs_started: int


def overhead_terms(c: Counts) -> list[dict[str, Any]]:
    """The CPU overhead terms: name, seconds (>= 0) and the formula with its numbers."""
    terms = [
        ("fit start", FIT_S, f"{FIT_S:.3g} s once"),
        ("per batch", c.batches * BATCH_S, f"{c.batches:,} batches x {BATCH_S:.3g} s"),
        ("per optimizer step", c.optimizer_steps * c.parameters * PARAM_STEP_S,
         f"{c.optimizer_steps:,} steps x {c.parameters:,} parameters x {PARAM_STEP_S:.3g} s"),
        ("per validation run", c.validation_runs * VALIDATION_S, f"{c.validation_runs:,} runs x {VALIDATION_S:.3g} s"),
        ("per epoch", c.epochs_started * EPOCH_S, f"{c.epochs_started:,} epochs x {EPOCH_S:.3g} s"),
    ]
    return [{"term": name, "seconds": seconds, "formula": formula} for name, seconds, formula in terms]


def measure_cpu_flops(seconds: float = 0.3, n: int = 512) -> float:
    """fp32 matmul FLOP/s of this machine with torch's current threads (best of a few rounds)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(4):
            torch.mm(a, b)
        best = max(best, 4 * 2 * n**3 / (time.perf_counter() - start))
    return best


def device_times(flops: float, mfu: dict[str, float], cpu_flops: float | None = None,
                 counts: Counts | None = None) -> list[dict[str, Any]]:
    """Per device of DEVICES: compute seconds = flops / (peak * MFU), the CPU's overhead terms (`counts`
    given), and their sum as `seconds`."""
    unknown = sorted(set(mfu) - set(DEVICES))
    if unknown:
        raise ConfigError(f"--mfu {unknown[0]}=...: no device {unknown[0]!r}. Devices: {', '.join(DEVICES)}")
    rows = []
    for name, (peak, default_mfu, what) in DEVICES.items():
        if peak is None:
            peak, what = (cpu_flops, "this machine, --cpu-flops") if cpu_flops else (measure_cpu_flops(), what)
        used = mfu.get(name, default_mfu)
        compute = flops / (peak * used)
        overheads = overhead_terms(counts) if counts is not None and name == "cpu" else []
        rows.append({"device": name, "peak_flops": peak, "peak": what, "mfu": used,
                     "mfu_source": "--mfu" if name in mfu else "default", "compute_seconds": compute,
                     "overheads": overheads, "seconds": compute + sum(t["seconds"] for t in overheads)})
    return rows
