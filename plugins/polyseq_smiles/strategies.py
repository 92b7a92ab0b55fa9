"""Valid SMILES for the conformance kit (`Domain.sample_strategy`); only the kit imports this module.

Random strings of SMILES characters are rarely molecules, so the kit draws chains of fragments
instead. Each fragment is a chain unit: its rings close inside it, and its first and last atoms
(one atom for the short ones) keep a free valence for the bond to the fragment before and after
it; monovalent atoms and charges sit in branches. Whether a concatenation parses therefore
depends only on neighbouring fragments (ring-closure digits are reused only after they close, a
bond between two fragments is a single bond outside any ring), so checking every sequence of up to
three fragments covers longer ones: tests/plugins/test_smiles_conformance.py does; every sequence
of up to four and 300,000 random ones of five and six were checked with RDKit when they were chosen.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

FRAGMENTS = ("C", "CC", "N", "O", "S", "C(Cl)", "C(F)(F)", "C(=O)", "c1ccccc1", "C=C", "C([O-])", "C(Br)",
             "C1CC1", "c1ccncc1", "C(C)(C)", "[NH2+]", "C(C#N)", "c1cc[nH]c1")


def valid_smiles() -> Any:
    """SMILES of one to six fragments, each a valid molecule."""
    return st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join)
