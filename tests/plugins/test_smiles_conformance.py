"""The conformance kit over the smiles domain (every tokenizer, every reader), plus the canonical option."""

import pytest

from polyseq import get_domain
from polyseq.testing import DomainChecks, TokenizerChecks, prepare_tokenizer

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
    def tokenizer(self, canonical_tokenizer_name, samples):
        tok = get_domain("smiles").make_tokenizer(canonical_tokenizer_name, canonical=True)
        return prepare_tokenizer(tok, samples)
