"""Metrics on generated DNA: `metrics(samples, reference=None) -> dict[str, float]`.

- `valid_fraction`: samples the domain's validator accepts (non-empty, IUPAC letters only);
- `gc_content`: G+C over A+C+G+T bases of the valid samples (ambiguous letters not counted);
- with `reference` (the training sequences): `reference_gc_content`, and
  `kmer_spectrum_distance`, the Jensen-Shannon distance (base 2, in [0, 1]; 0 = same spectrum)
  between the frequencies of overlapping k-mers (k=4 by default, ACGT k-mers only, case folded) in
  the valid samples and in the reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from polyseq_dna.alphabet import gc_counts, validate
from polyseq_dna.tokenizers import acgtn_codes, kmer_index, kmer_whole


def kmer_spectrum(samples: Iterable[str], k: int = 4) -> np.ndarray:
    """Counts of each of the 4^k ACGT k-mers (overlapping), summed over samples (numpy, no per-base Python)."""
    counts = np.zeros(4**k, dtype=np.int64)
    for s in samples:
        codes = acgtn_codes(s)
        if len(codes) >= k:
            index = kmer_index(codes, k)[kmer_whole(codes, k)]
            counts += np.bincount(index, minlength=4**k)
    return counts


def js_distance(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Jensen-Shannon distance (sqrt of the divergence, base 2) between two count vectors."""
    if p_counts.sum() == 0 or q_counts.sum() == 0:
        return float("nan")
    p, q = p_counts / p_counts.sum(), q_counts / q_counts.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))

    return float(np.sqrt(max(0.0, (kl(p) + kl(q)) / 2)))


def _gc(samples: Iterable[str]) -> float:
    gc = total = 0
    for s in samples:
        g, t = gc_counts(s)
        gc, total = gc + g, total + t
    return gc / total if total else float("nan")


def metrics(samples: Sequence[Any], reference: Sequence[Any] | None = None, k: int = 4) -> dict[str, float]:
    samples = [getattr(s, "sample", s) for s in samples]
    valid = [s for s in samples if validate(s) is None]
    out = {"valid_fraction": len(valid) / len(samples) if samples else float("nan"), "gc_content": _gc(valid)}
    if reference is not None:
        ref = [r for r in (getattr(x, "sample", x) for x in reference) if validate(r) is None]
        out["reference_gc_content"] = _gc(ref)
        out["kmer_spectrum_distance"] = js_distance(kmer_spectrum(valid, k), kmer_spectrum(ref, k))
    return out
