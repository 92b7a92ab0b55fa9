"""The conformance kit over the smiles domain (every tokenizer, every reader), plus the canonical option."""

import pytest
from hypothesis import strategies as st

from polyseq import get_domain
from polyseq.testing import DomainChecks, TokenizerChecks, prepare_tokenizer

#: chain units, each bonded on both sides with valence to spare, so any concatenation is a valid
#: SMILES (RDKit parses every sequence of up to three; see the test below); monovalent atoms and
#: charges sit in branches. Random strings of SMILES characters are mostly not molecules.
FRAGMENTS = ("C", "CC", "N", "O", "S", "C(Cl)", "C(F)(F)", "C(=O)", "c1ccccc1", "C=C", "C([O-])", "C(Br)",
             "C1CC1", "c1ccncc1", "C(C)(C)", "[NH2+]", "C(C#N)", "c1cc[nH]c1")
VALID_SMILES = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join)

try:
    import selfies  # noqa: F401  (an optional extra)

    NO_SELFIES = {}
except ImportError:
    NO_SELFIES = {
        f"{check}[selfies]": "the selfies extra is not installed: pip install 'polyseq[selfies]'"
        for check in dir(TokenizerChecks) if check.startswith("test_")
    }


class TestConformance(DomainChecks):
    domain = "smiles"
    known_limitations = NO_SELFIES  # the selfies tokenizer needs its extra; everything else must pass
    rejects_unknown = {"selfies": "SELFIES spells molecules: text selfies cannot parse is a PolyseqError naming it"}

    @pytest.fixture
    def sample_strategy(self):
        return VALID_SMILES

    @pytest.fixture
    def invalid_sample(self):
        return "C1CC(N"  # an unclosed ring and branch


@pytest.fixture(params=["atom", "char", "bpe"])
def canonical_tokenizer_name(request):
    return request.param


class TestCanonicalOption(TokenizerChecks):
    """The kit again with canonical=True: normalize() is RDKit's canonical SMILES and decode gives it back."""

    @pytest.fixture
    def samples(self):
        return list(get_domain("smiles").examples)

    @pytest.fixture
    def sample_strategy(self):
        return VALID_SMILES

    @pytest.fixture
    def tokenizer(self, canonical_tokenizer_name, samples):
        tok = get_domain("smiles").make_tokenizer(canonical_tokenizer_name, canonical=True)
        return prepare_tokenizer(tok, samples)


def test_the_generated_smiles_are_molecules():
    from itertools import product

    from rdkit import Chem

    for n in (1, 2, 3):
        for parts in product(FRAGMENTS, repeat=n):
            assert Chem.MolFromSmiles("".join(parts)) is not None, "".join(parts)
