"""Data splits for DNA, each `split(records, fractions, seed) -> list[list[int]]` (indices per part).

- (`random`, the core's split of every domain, shuffles records (windows) and cuts them by the
  fractions. Windows of one chromosome end up on both sides: fine for short independent sequences
  (a CSV of promoters), a leak for windows of a genome.)
- `by_record`: whole records (chromosomes, contigs, reads) go to one part, so no window of a
  sequence is in two parts. Records are grouped by (source file, record header line), i.e. by the
  sequence a window was cut from; groups are shuffled with the seed and given to the parts in
  turn, each part taking groups until its share of windows is reached. With few large groups
  (one chromosome) the parts cannot match the fractions: a warning says which part stayed empty.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Sequence
from typing import Any

from polyseq import ConfigError


def _check(fractions: Sequence[float]) -> list[float]:
    fr = [float(f) for f in fractions]
    if not fr or any(f < 0 for f in fr) or abs(sum(fr) - 1.0) > 1e-6:
        raise ConfigError(f"fractions must be >= 0 and sum to 1, got {list(fractions)!r}")
    return fr


def record_key(record: Any, index: int) -> tuple[Any, ...]:
    """The sequence a window comes from: (source, header line), else its id, else itself."""
    meta = getattr(record, "meta", None) or {}
    if "line" in meta or "index" in meta:
        return (meta.get("source"), meta.get("line", meta.get("index")))
    if "id" in meta:
        return (meta.get("source"), meta["id"])
    return ("#", index)


def by_record(records: Sequence[Any], fractions: Sequence[float], seed: int = 0) -> list[list[int]]:
    fr = _check(fractions)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, r in enumerate(records):
        groups.setdefault(record_key(r, i), []).append(i)
    keys = list(groups)
    random.Random(seed).shuffle(keys)
    targets = [f * len(records) for f in fr]
    parts: list[list[int]] = [[] for _ in fr]
    part = 0
    for key in keys:
        while part < len(fr) - 1 and len(parts[part]) >= targets[part]:
            part += 1
        parts[part].extend(groups[key])
    empty = [i for i, p in enumerate(parts) if not p and fr[i] > 0]
    if empty and records:
        warnings.warn(f"by_record split: part(s) {empty} got no record: {len(groups)} sequence(s) cannot be "
                      f"split as {fr}. Use more sequences, or shorter records.", stacklevel=2)
    return [sorted(p) for p in parts]
