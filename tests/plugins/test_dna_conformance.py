"""The conformance kit over the dna domain: every tokenizer and reader, then tokenizer variants."""

import pytest

from polyseq.testing import DomainChecks, TokenizerChecks, prepare_tokenizer
from polyseq_dna import EXAMPLES
from polyseq_dna.tokenizers import BPETokenizer, KmerTokenizer, NucleotideTokenizer


class TestConformance(DomainChecks):
    domain = "dna"
    tokenizer_options = {"kmer": {"k": 3}, "bpe": {"vocab_size": 64, "min_frequency": 1}}

    @pytest.fixture
    def invalid_sample(self):
        return "ACGTJACGT"


VARIANTS = {
    "kmer-k1": lambda: KmerTokenizer(k=1),
    "kmer-k6": lambda: KmerTokenizer(k=6),
    "kmer-k8": lambda: KmerTokenizer(k=8),
    "kmer-k5-nonoverlap": lambda: KmerTokenizer(k=5, overlap=False),
    "kmer-k8-nonoverlap-unk": lambda: KmerTokenizer(k=8, overlap=False, ambiguous="unk"),
    "nucleotide-all-options": lambda: NucleotideTokenizer(iupac=True, rna=True, soft_mask="keep"),
    "nucleotide-unk": lambda: NucleotideTokenizer(ambiguous="unk"),
    "bpe-32": lambda: BPETokenizer(vocab_size=32, min_frequency=1),
}


class TestTokenizerVariants(TokenizerChecks):
    @pytest.fixture(params=list(VARIANTS), ids=list(VARIANTS))
    def variant(self, request):
        return request.param

    @pytest.fixture
    def samples(self, variant):
        # with ambiguous="unk" an ambiguity code is <unk> by choice: round trips hold without them
        if variant.endswith("unk"):
            return [s for s in EXAMPLES if set(s.upper()) <= set("ACGTN")]
        return list(EXAMPLES)

    @pytest.fixture
    def tokenizer(self, variant, samples):
        return prepare_tokenizer(VARIANTS[variant](), samples)


def test_registering_the_domain_imports_neither_biopython_nor_numpy():
    import subprocess
    import sys

    code = ("import sys, polyseq; polyseq.get_domain('dna'); "
            "print([m for m in ('Bio', 'numpy', 'polyseq_dna.io', 'polyseq_dna.tokenizers') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_polyseq_plugins_imports_no_hypothesis_numpy_or_torch():
    # the domains name their kit strategies ("polyseq_smiles.strategies:valid_smiles"): only the kit imports them
    import subprocess
    import sys

    code = ("import contextlib, io, sys\nfrom polyseq.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['plugins']) == 0\n"
            "print(sorted(m for m in sys.modules if m in ('hypothesis', 'numpy', 'torch')\n"
            "             or m.startswith('polyseq_') and m.endswith('.strategies')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
