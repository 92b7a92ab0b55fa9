"""Randomised SMILES: the same molecule written from a random starting atom and traversal order.

Data augmentation for SMILES models as in Bjerrum (2017, arXiv:1703.07076) and Arús-Pous et al.
(J. Cheminform. 2019): each epoch sees other strings for the same molecules. RDKit's
`MolToRandomSmilesVect(mol, n, randomSeed=s)` is used because it is reproducible from its seed
(`MolToSmiles(doRandom=True)` is not, whatever RDKit's global seed).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

from rdkit import Chem

from polyseq import ConfigError, Record
from polyseq_smiles import chem

_MAX_SEED = 2**31 - 1


def variants(smiles: str, n: int, seed: int = 0, unique: bool = False) -> list[str]:
    """`n` random SMILES of one molecule, the same for the same seed.

    With `unique=True`, repeats are dropped, so a small molecule may give fewer than `n`
    (propane has only two SMILES without explicit hydrogens). An invalid SMILES is returned
    unchanged, once: augmentation never invents or drops a training sample.
    """
    if not isinstance(n, int) or n < 1:
        raise ConfigError(f"n (variants per molecule) must be an integer >= 1, got {n!r}")
    mol = chem.mol_or_none(smiles)
    if mol is None:
        return [smiles]
    out = list(Chem.MolToRandomSmilesVect(mol, n, randomSeed=seed % _MAX_SEED))
    return list(dict.fromkeys(out)) if unique else out


def randomize(sample: str, rng: random.Random) -> str:
    """One random SMILES of the molecule (the augmentation `Domain.augmentations["randomize"]`)."""
    return variants(sample, 1, seed=rng.randrange(_MAX_SEED))[0]


def expand(records: Iterable[Any], n: int, seed: int = 0, unique: bool = False) -> Iterator[Any]:
    """`n` randomised copies of each record (target and meta kept, `meta["variant"]` = 0..n-1).

    Plain SMILES strings may be given instead of records; then strings come out. The seed of each
    molecule depends on `seed` and the record's position, so a given epoch's expansion is reproducible.
    """
    for i, r in enumerate(records):
        sample = r.sample if isinstance(r, Record) else r
        for k, smiles in enumerate(variants(sample, n, seed=seed * 1_000_003 + i, unique=unique)):
            yield Record(smiles, r.target, {**r.meta, "variant": k}) if isinstance(r, Record) else smiles
