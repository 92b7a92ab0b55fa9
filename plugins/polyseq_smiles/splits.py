"""The scaffold split: Bemis-Murcko scaffolds (Bemis & Murcko, J. Med. Chem. 1996). The random and
ordered splits are the core's (`polyseq.data.splits`), the same for every domain.

A scaffold split keeps molecules that share a ring system on the same side, so a test set measures
how a model does on chemotypes it has not seen - what chemists expect of an honest property
benchmark (MoleculeNet, Wu et al. 2018). As in MoleculeNet/DeepChem's ScaffoldSplitter, scaffold
groups are sorted by size, then by their first record, both descending (among groups of one size the
one that starts later in the file comes first), and each goes to the first part with room for all of
it; the split is deterministic and gives DeepChem's parts for the same records. Acyclic molecules
share the empty scaffold; unparseable ones form one group each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from polyseq import ConfigError
from polyseq_smiles import chem


def _check_fractions(fractions: Sequence[float]) -> list[float]:
    values = list(fractions)
    if (not values or any(not isinstance(f, (int, float)) or f < 0 for f in values)
            or not math.isclose(sum(values), 1.0, abs_tol=1e-6)):
        raise ConfigError(
            f"fractions must be non-negative numbers that sum to 1 (e.g. [0.8, 0.1, 0.1]), got {fractions!r}"
        )
    return values


def _cut_points(n: int, fractions: list[float]) -> list[int]:
    """Cumulative sizes: part k ends at round(n * (f_0 + ... + f_k)), the last at n."""
    cuts, total = [], 0.0
    for f in fractions[:-1]:
        total += f
        cuts.append(round(n * total))
    return [*cuts, n]


def _smiles(record: Any) -> str:
    return getattr(record, "sample", record)


def scaffold(smiles: str) -> str | None:
    """The Bemis-Murcko scaffold as canonical SMILES ('' for an acyclic molecule), None if invalid."""
    from rdkit.Chem.Scaffolds import MurckoScaffold

    mol = chem.mol_or_none(smiles)
    if mol is None:
        return None
    with chem.quiet_rdkit():
        return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)


def scaffold_split(records: Sequence[Any], fractions: Sequence[float], seed: int = 0) -> list[list[int]]:
    """Indices per part; whole scaffold groups, largest first, fill the parts in order.

    A group goes to the first part that still has room for all of it, otherwise to the last part.
    Ties in size go to the group whose first record comes later (DeepChem's order: the smallest
    groups that start earliest in the file end up in the last part).
    `seed` is accepted for the common signature and not used: the split depends on the molecules only.
    """
    values = _check_fractions(fractions)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        key = scaffold(_smiles(r))
        groups.setdefault(f"\0invalid {i}" if key is None else key, []).append(i)
    ordered = sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True)
    cuts = _cut_points(len(records), values)
    parts: list[list[int]] = [[] for _ in values]
    for group in ordered:
        held = 0  # indices in parts 0..k
        for k, cut in enumerate(cuts):
            held += len(parts[k])
            if held + len(group) <= cut or k == len(parts) - 1:
                parts[k].extend(group)
                break
    return [sorted(p) for p in parts]
