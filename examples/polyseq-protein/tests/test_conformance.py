"""polyseq's conformance kit over this plugin (enabled in conftest.py), plus what the kit cannot know."""

import pytest

from polyseq.testing import DomainChecks


class TestProtein(DomainChecks):
    domain = "protein"
    @pytest.fixture
    def invalid_sample(self):
        return "MKT1AY"


def test_bad_fasta_record_is_reported_with_its_line(tmp_path):
    from polyseq import ReadReport, get_domain

    path = tmp_path / "mixed.fasta"
    path.write_text(">ok\nMKTAYIAK\n>bad\nMKT1AY\n>ok2\nGIVEQ\n")
    report = ReadReport()
    records = list(get_domain("protein").read(path, report=report))
    assert [r.sample for r in records] == ["MKTAYIAK", "GIVEQ"]
    assert report.n_bad == 1 and report.bad[0].where == f"{path}:3"
