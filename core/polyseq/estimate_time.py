"""Time of a `polyseq fit` run per device: the FLOPs at a stated MFU, plus, on this CPU, the overheads
that FLOPs do not see.

    seconds = FLOPs / (peak * MFU)                 compute: training (3 x forward) and validation (1 x forward)
            + s * FIT_S                            once per fit: loops, callbacks and logger set up, first batches
            + s * batches * BATCH_S                per training batch: loader, collate, the Python of forward/backward
            + s * optimizer_steps * N * PARAM_STEP_S   per step over N parameters: gradient clipping, AdamW, zero_grad
            + s * validation_runs * VALIDATION_S   per validation loop (sanity check included): loader start, metrics
            + s * epochs_started * EPOCH_S         per epoch: loader restart, epoch-end checkpoint and metrics
            + s * (scores * SCORE_S + validation scores * VALIDATION_SCORE_S)
                                                   attention beyond its matmuls: mask, softmax and (training)
                                                   dropout over every score element B * H * T_q * T_kv
    with s = REFERENCE_FLOPS / peak: the overheads were measured at the reference peak, and a machine
    that runs matmuls slower now (shared cores) runs its Python and optimizer slower too.

The constants were measured on this machine (2 shared cores, one torch thread) by
`benchmarks/estimate.py --calibrate`: PARAM_STEP_S and SCORE_S by timing that work alone; the CPU MFU
and the other overheads by non-negative least squares over fits of three offline configs at varied
steps, validation runs and epochs (BENCHMARKS.md, "Cost estimates"). BATCH_S also holds what a
small model loses to matmuls too small for the peak. SCORE_S matters: CPU attention materializes
the scores, and its dropout alone costs more than the attention matmuls. On GPUs the per-step Python
and AdamW costs differ (and overlap with kernels), so the GPU rows are the compute term alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from polyseq.errors import ConfigError

#: peak FLOP/s and default MFU per device. None: this machine's CPU, measured at run time.
#: CPU MFU: fitted with the overheads below (0.2 before they existed, when it absorbed them).
DEVICES: dict[str, tuple[float | None, float, str]] = {
    "cpu": (None, 0.3, "this machine, fp32 matmul measured now"),
    "A100": (312e12, 0.35, "bf16 dense"),
    "H100": (989e12, 0.35, "SXM bf16 dense"),
    "H200": (989e12, 0.35, "bf16 dense"),
}

#: the CPU overheads (seconds at REFERENCE_FLOPS), measured by `benchmarks/estimate.py --calibrate`
#: (benchmarks/results/estimate_calibration.json: 30 fits of dna_lm_offline, text_lm_offline, dna_classify_offline)
REFERENCE_FLOPS = 89e9  # the median fp32 matmul peak measured during those fits
FIT_S = 0.055
BATCH_S = 0.028
PARAM_STEP_S = 2.35e-8  # an optimizer step timed alone: clipping + AdamW + zero_grad, per parameter
VALIDATION_S = 0.107
EPOCH_S = 0.137
#: per attention score element, forward and backward with dropout 0.1 / forward alone: scaled_dot_product_attention
#: with a padding mask timed alone at T = 128, 256, 512 (the median), less its matmuls at the CPU MFU
SCORE_S = 3.5e-8
VALIDATION_SCORE_S = 0.0  # measured: forward alone, without dropout, costs no more than its matmuls


@dataclass(frozen=True)
class Counts:
    """What the overhead terms count, from the estimate's schedule."""

    parameters: int
    batches: int
    optimizer_steps: int
    validation_runs: int
    epochs_started: int
    attention_scores: float = 0.0
    validation_attention_scores: float = 0.0


def overhead_terms(c: Counts, peak: float) -> list[dict[str, Any]]:
    """The CPU overhead terms at this `peak` FLOP/s: name, seconds (>= 0) and the formula with its numbers."""
    s = REFERENCE_FLOPS / peak
    at = f" x {s:.2g} (s = {REFERENCE_FLOPS / 1e9:.3g} G / peak)"
    terms = [
        ("fit start", s * FIT_S, f"{FIT_S:.3g} s once" + at),
        ("per batch", s * c.batches * BATCH_S, f"{c.batches:,} batches x {BATCH_S:.3g} s" + at),
        ("per optimizer step", s * c.optimizer_steps * c.parameters * PARAM_STEP_S,
         f"{c.optimizer_steps:,} steps x {c.parameters:,} parameters x {PARAM_STEP_S:.3g} s" + at),
        ("per validation run", s * c.validation_runs * VALIDATION_S,
         f"{c.validation_runs:,} runs x {VALIDATION_S:.3g} s" + at),
        ("per epoch", s * c.epochs_started * EPOCH_S, f"{c.epochs_started:,} epochs x {EPOCH_S:.3g} s" + at),
        ("attention scores", s * (c.attention_scores * SCORE_S + c.validation_attention_scores * VALIDATION_SCORE_S),
         f"({c.attention_scores:.3g} x {SCORE_S:.2g} s + {c.validation_attention_scores:.3g} validation x "
         f"{VALIDATION_SCORE_S:.2g} s)" + at),
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
        overheads = overhead_terms(counts, peak) if counts is not None and name == "cpu" else []
        rows.append({"device": name, "peak_flops": peak, "peak": what, "mfu": used,
                     "mfu_source": "--mfu" if name in mfu else "default", "compute_seconds": compute,
                     "overheads": overheads, "seconds": compute + sum(t["seconds"] for t in overheads)})
    return rows
