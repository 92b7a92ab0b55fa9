"""The splits every domain has: random and ordered. Domains add their own (scaffold, by record) on `Domain.splits`."""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

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


def shuffled_range(n: int, rng: random.Random) -> np.ndarray:
    """0..n-1 in the order `rng.shuffle(list(range(n)))` leaves them, and rng in the state it leaves
    it: the same Fisher-Yates draws from the same generator, over a compact int array (4 bytes a
    record) instead of a list of n Python ints (~64 bytes a record: ~3.6 GB for 55.8 M records)."""
    order = array("q" if n >= 2**31 else "i", range(n))
    randbelow = rng._randbelow  # what random.shuffle draws with (CPython 3.11-3.13)
    for i in reversed(range(1, n)):
        j = randbelow(i + 1)
        order[i], order[j] = order[j], order[i]
    return np.frombuffer(order, dtype=np.int64 if order.typecode == "q" else np.int32)


def random_assignment(n: int, fractions: Sequence[float], seed: int) -> np.ndarray:
    """The part (0 train, 1 val, 2 test) of each of n records, one byte each: the records shuffled as
    `random.Random(seed).shuffle(list(range(n)))` shuffles them (`shuffled_range`), then cut into
    `part_sizes`."""
    assign = np.zeros(n, dtype=np.uint8)
    ids, start = shuffled_range(n, random.Random(seed)), 0
    for k, size in enumerate(part_sizes(n, fractions)):
        assign[ids[start : start + size]] = k
        start += size
    return assign


def ordered_assignment(n: int, fractions: Sequence[float], seed: int = 0) -> np.ndarray:
    """The records in file order: the first part trains, the next validates, the last tests (`seed`
    is not used). nanoGPT's tiny Shakespeare split (first 90 % train, last 10 % val) and a
    time-ordered hold-out; fractions count records, not characters."""
    return np.repeat(np.arange(len(fractions), dtype=np.uint8), part_sizes(n, fractions))


def _parts(assign: np.ndarray, n_parts: int) -> list[list[int]]:
    """Each part's record indices, ascending."""
    return [np.flatnonzero(assign == k).tolist() for k in range(n_parts)]


def random_split(records: Sequence[object], fractions: Sequence[float], seed: int) -> list[list[int]]:
    return _parts(random_assignment(len(records), fractions, seed), len(fractions))


def ordered_split(records: Sequence[object], fractions: Sequence[float], seed: int = 0) -> list[list[int]]:
    """`ordered_assignment` as index lists."""
    return _parts(ordered_assignment(len(records), fractions), len(fractions))


# `--data.split` names every domain has, before the domain's own (`Domain.splits`)
CORE_SPLITS = {"random": random_split, "ordered": ordered_split}
# the same splits as one part number per record, for corpora streamed past rather than held (the
# index lists above are made from these)
CORE_ASSIGNMENTS: dict[str, Callable[[int, Sequence[float], int], np.ndarray]] = {
    "random": random_assignment, "ordered": ordered_assignment}


class Subsample:
    """A re-iterable of `k` of the `n` items of the re-iterable `items` (all of them when k >= n),
    drawn at random with `seed` and kept in their order; every pass gives the same items. `n` is
    counted with a first pass when not given.

    Selection sampling (Knuth's algorithm S): item i is kept with probability (still to keep) /
    (still to see), which keeps exactly k, each k-subset equally likely, holding no index at all, so
    a learned tokenizer can train on a sample of a corpus streamed past (sentencepiece's
    `input_sentence_size`)."""

    def __init__(self, items: Any, k: int, seed: int, n: int | None = None):
        if k < 1:
            raise ConfigError(f"a sample of the records must hold at least 1 record, got {k}")
        self.items, self.k, self.seed, self.n = items, k, seed, n

    def __iter__(self) -> Iterator[Any]:
        if self.n is None:
            self.n = sum(1 for _ in self.items)
        rng = random.Random(self.seed)
        keep, left = min(self.k, self.n), self.n
        for item in self.items:
            if keep and rng.random() * left < keep:
                keep -= 1
                yield item
            left -= 1
