"""The conformance kit over the smiles domain (every tokenizer, every reader), plus the canonical option."""

import pytest

from polyseq import get_domain
from polyseq.testing import DomainChecks, TokenizerChecks, prepare_tokenizer
from polyseq_smiles.strategies import FRAGMENTS

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
        return get_domain("smiles").sample_strategy

    @pytest.fixture
    def tokenizer(self, canonical_tokenizer_name, samples):
        tok = get_domain("smiles").make_tokenizer(canonical_tokenizer_name, canonical=True)
        return prepare_tokenizer(tok, samples)


def test_the_generated_smiles_are_molecules():
    # a concatenation's validity depends on neighbouring fragments only (polyseq_smiles.strategies),
    # so every sequence of up to three covers the longer ones the strategy draws
    from itertools import product

    from rdkit import Chem

    for n in (1, 2, 3):
        for parts in product(FRAGMENTS, repeat=n):
            assert Chem.MolFromSmiles("".join(parts)) is not None, "".join(parts)
