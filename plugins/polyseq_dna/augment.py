"""DNA augmentations, each `aug(sample, rng: random.Random) -> sample`.

- `reverse_complement`: the other strand, with probability 1/2 (a double-stranded sequence read
  either way is the same molecule; the standard augmentation of DeepBind, Alipanahi et al. 2015,
  and of the DNA language models since). IUPAC-aware and case-preserving.
- `random_crop`: a contiguous piece of random length between `min_fraction` of the sample and all
  of it, at a random offset.
- `random_shift`: the sample moved by up to `max_shift` bases left or right, keeping its length,
  the bases pushed out dropped and the gap filled with N (the stochastic shift of Basenji, Kelley
  et al. 2018, which uses shifts of up to 3 bp).
Parameters other than `rng` keep their defaults when the engine calls an augmentation by name;
bind others with `functools.partial`.
"""

from __future__ import annotations

import math
import random

from polyseq import ConfigError
from polyseq_dna.alphabet import reverse_complement as _reverse_complement


def reverse_complement(sample: str, rng: random.Random, p: float = 0.5) -> str:
    """The reverse complement of `sample` with probability `p`, else `sample` unchanged."""
    if not 0.0 <= p <= 1.0:
        raise ConfigError(f"p must be in [0, 1], got {p!r}")
    return _reverse_complement(sample) if rng.random() < p else sample


def random_crop(sample: str, rng: random.Random, min_fraction: float = 0.8) -> str:
    """A random contiguous piece of at least ceil(min_fraction * len) bases (at least 1)."""
    if not 0.0 < min_fraction <= 1.0:
        raise ConfigError(f"min_fraction must be in (0, 1], got {min_fraction!r}")
    n = len(sample)
    if n == 0:
        return sample
    length = rng.randint(max(1, math.ceil(min_fraction * n)), n)
    start = rng.randint(0, n - length)
    return sample[start : start + length]


def random_shift(sample: str, rng: random.Random, max_shift: int = 3) -> str:
    """`sample` shifted by a random d in [-max_shift, max_shift], same length, N filling the gap."""
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ConfigError(f"max_shift must be an integer >= 0, got {max_shift!r}")
    n = len(sample)
    d = max(-n, min(n, rng.randint(-max_shift, max_shift)))
    if d > 0:  # move right: N at the start, the last d bases dropped
        return "N" * d + sample[: len(sample) - d]
    if d < 0:
        return sample[-d:] + "N" * -d
    return sample
