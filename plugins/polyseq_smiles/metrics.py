"""Metrics on generated molecules, as defined by MOSES (Polykovskiy et al., Front. Pharmacol. 2020).

- validity: fraction of samples RDKit parses (an empty string is invalid);
- uniqueness: distinct canonical SMILES / valid samples;
- novelty: fraction of the distinct valid molecules absent from the reference (training) set,
  compared as canonical SMILES; only when a reference is given;
- internal_diversity: 1 - mean Tanimoto similarity of Morgan fingerprints (radius 2, 2048 bits,
  RDKit's `rdFingerprintGenerator`). Where polyseq differs from MOSES' IntDiv: the mean is over
  distinct pairs of distinct molecules (MOSES averages the full matrix, diagonal included), and
  above `diversity_sample` molecules a seeded random subset of that size is used.

An undefined metric (e.g. uniqueness with no valid sample) is NaN, never a misleading 0 or 1.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

from rdkit import DataStructs
from rdkit.Chem import rdFingerprintGenerator

from polyseq_smiles import chem

_NAN = float("nan")


def _canonical_set(smiles: Iterable[str]) -> set[str]:
    out = set()
    for s in smiles:
        c = chem.canonical_or_none(s)
        if c is not None:
            out.add(c)
    return out


def internal_diversity(smiles: Sequence[str], radius: int = 2, n_bits: int = 2048) -> float:
    """1 - mean pairwise Tanimoto similarity over distinct pairs of the (valid) molecules given."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    fps = [generator.GetFingerprint(m) for m in (chem.mol_or_none(s) for s in smiles) if m is not None]
    if len(fps) < 2:
        return _NAN
    total = sum(sum(DataStructs.BulkTanimotoSimilarity(fps[i], fps[i + 1:])) for i in range(len(fps) - 1))
    return 1.0 - total / (len(fps) * (len(fps) - 1) / 2)


def smiles_metrics(samples: Sequence[Any], reference: Iterable[Any] | None = None,
                   diversity_sample: int = 5000, seed: int = 0) -> dict[str, float]:
    """validity, uniqueness, novelty (with a reference), internal_diversity, and the counts behind them.

    `samples` and `reference` are SMILES strings or records (their `.sample` is used).
    """
    texts = [getattr(s, "sample", s) for s in samples]
    canon = [chem.canonical_or_none(s) for s in texts]
    valid = [c for c in canon if c is not None]
    distinct = sorted(set(valid))
    out = {
        "n_samples": float(len(texts)),
        "n_valid": float(len(valid)),
        "validity": len(valid) / len(texts) if texts else _NAN,
        "uniqueness": len(distinct) / len(valid) if valid else _NAN,
    }
    if reference is not None:
        known = _canonical_set(getattr(r, "sample", r) for r in reference)
        out["novelty"] = sum(c not in known for c in distinct) / len(distinct) if distinct else _NAN
    subset = distinct
    if len(subset) > diversity_sample:
        subset = random.Random(seed).sample(distinct, diversity_sample)
    out["internal_diversity"] = internal_diversity(subset)
    return out
