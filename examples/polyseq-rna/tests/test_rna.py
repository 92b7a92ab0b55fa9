"""The conformance kit over the RNA domain, and what the kit cannot know: .dbn structures and labels."""

import pytest

from polyseq import Annotated, ReadReport, get_domain
from polyseq.testing import DomainChecks


class TestRna(DomainChecks):
    domain = "rna"
    tokenizer_samples = {"structure": [Annotated("GGGAAACCC", "(((...)))"), Annotated("acgun", ".[.]."), Annotated()]}

    @pytest.fixture
    def invalid_sample(self):
        return "ACGX"


def test_dbn_gives_sequences_structures_and_header_labels(tmp_path):
    path = tmp_path / "s.dbn"
    path.write_text(">a label=1\nGGGAAACCC\n(((...)))\n>bad label=0\nGGGA\n((.\n>c label=0\nacgu\n....\n")
    report = ReadReport()
    rna = get_domain("rna")
    records = list(rna.read(path, target="label", report=report))
    assert [(r.sample, r.target) for r in records] == [("GGGAAACCC", "1"), ("acgu", "0")]
    assert report.n_bad == 1 and report.bad[0].where == f"{path}:4" and "same length" in report.bad[0].reason
    tags = [r.target for r in rna.read(path, target="structure", report=ReadReport())]
    assert tags == ["(((...)))", "...."]
    pairs = [r.sample for r in rna.read(path, column="annotated", report=ReadReport())]
    tok = rna.make_tokenizer("structure")
    assert pairs[0] == Annotated("GGGAAACCC", "(((...)))") and tok.decode(tok.encode(pairs[1])) == ("ACGU", "....")


def test_dna_letters_read_as_rna():
    tok = get_domain("rna").make_tokenizer("kmer")
    assert tok.decode(tok.encode("acgtn")) == "ACGUN"
