"""The splits every domain has: random and ordered. Domains add their own (scaffold, by record) on `Domain.splits`."""

from __future__ import annotations

import random
from collections.abc import Sequence

from polyseq.errors import ConfigError


def check_fractions(fractions: Sequence[float], key: str = "--data.split_fractions") -> list[float]:
    fractions = [float(f) for f in fractions]
    if len(fractions) not in (2, 3) or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ConfigError(f"{key}={fractions}: give 2 or 3 non-negative fractions (train, val[, test]) summing to 1")
    return fractions


def part_sizes(n: int, fractions: Sequence[float]) -> list[int]:
    """Sizes that add up to n, every non-zero fraction getting at least one item when n allows."""
    sizes = [int(round(n * f)) for f in fractions[1:]]
    sizes = [max(1, s) if f > 0 and n >= len(fractions) else s for s, f in zip(sizes, fractions[1:], strict=True)]
    return [n - sum(sizes), *sizes]


def random_split(records: Sequence[object], fractions: Sequence[float], seed: int) -> list[list[int]]:
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    parts, start = [], 0
    for size in part_sizes(len(order), fractions):
        parts.append(sorted(order[start : start + size]))
        start += size
    return parts


def ordered_split(records: Sequence[object], fractions: Sequence[float], seed: int = 0) -> list[list[int]]:
    """The records in file order: the first part trains, the next validates, the last tests (`seed`
    is not used). nanoGPT's tiny Shakespeare split (first 90 % train, last 10 % val) and a
    time-ordered hold-out; fractions count records, not characters."""
    parts, start = [], 0
    for size in part_sizes(len(records), fractions):
        parts.append(list(range(start, start + size)))
        start += size
    return parts


# `--data.split` names every domain has, before the domain's own (`Domain.splits`)
CORE_SPLITS = {"random": random_split, "ordered": ordered_split}
