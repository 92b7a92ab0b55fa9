"""Metrics on generated text: distinct-n (Li et al. 2016), the share of unique n-grams."""

from __future__ import annotations

from collections.abc import Sequence


def distinct_n(samples: Sequence[str], n: int) -> float:
    grams = [tuple(words[i : i + n]) for s in samples for words in [s.split()] for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def metrics(samples: Sequence[str], reference: Sequence[str] | None = None) -> dict[str, float]:
    out = {"distinct_1": distinct_n(samples, 1), "distinct_2": distinct_n(samples, 2),
           "unique": len(set(samples)) / len(samples) if samples else 0.0,
           "mean_words": sum(len(s.split()) for s in samples) / len(samples) if samples else 0.0}
    if reference is not None:
        seen = set(reference)
        out["novel"] = sum(s not in seen for s in samples) / len(samples) if samples else 0.0
    return out
