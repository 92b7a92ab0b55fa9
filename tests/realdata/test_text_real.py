"""Opt-in: the text domain on Tiny Shakespeare and the SMS Spam Collection (POLYSEQ_DATA_MIRROR)."""

import collections

import pytest

import polyseq
from polyseq.records import ReadReport

from polyseq_text.io import read_tsv

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def shakespeare(data_mirror):
    [record] = polyseq.get_domain("text").read(data_mirror / "text/tinyshakespeare/input.txt")
    return record.sample


def test_shakespeare_reads_as_one_document_and_by_line(data_mirror, shakespeare):
    assert len(shakespeare) == 1_115_394
    report = ReadReport()
    lines = list(polyseq.get_domain("text").read(data_mirror / "text/tinyshakespeare/input.txt", mode="line",
                                                 report=report))
    assert len(lines) + report.n_bad == 40_000 and set(report.reasons()) == {"empty line"}


@pytest.mark.parametrize("name", ["char", "bpe"])
def test_shakespeare_round_trips_exactly(shakespeare, name):
    tok = polyseq.get_domain("text").make_tokenizer(name)
    tok.train([shakespeare[:200_000]])
    # char: Shakespeare's 65 characters + 7 special + 256 byte-fallback tokens
    assert tok.vocab_size <= (65 + 7 + 256 if name == "char" else 8000)
    part = shakespeare[-100_000:]
    assert tok.decode(tok.encode(part)) == part


@pytest.mark.parametrize(("name", "vocab_size"), [("word", 30000), ("wordpiece", 2000), ("unigram", 2000)])
def test_shakespeare_round_trips_to_the_normal_form(shakespeare, name, vocab_size):
    tok = polyseq.get_domain("text").make_tokenizer(name, vocab_size=vocab_size)
    lines = shakespeare.splitlines()
    tok.train(lines)
    sample = [l for l in lines[:2000] if l]
    decoded = tok.decode_batch(tok.encode_batch(sample))
    assert sum(d == tok.normalize(s) for d, s in zip(decoded, sample)) / len(sample) > 0.99


def test_sms_spam_collection_reads_label_and_text(data_mirror, tmp_path):
    # the file has no suffix: read it with the .tsv reader's options (or link it as .tsv)
    source = data_mirror / "text/sms_spam/SMSSpamCollection"
    records = list(read_tsv(source, header=False, column=1, target=0))
    assert len(records) == 5574 and all(isinstance(r, polyseq.Record) for r in records)
    assert collections.Counter(r.target for r in records) == {"ham": 4827, "spam": 747}
    assert records[0].sample.startswith("Go until jurong point") and records[0].meta["line"] == 1
    link = tmp_path / "sms.tsv"
    link.symlink_to(source)
    report = ReadReport()
    via_domain = list(polyseq.get_domain("text").read(link, header=False, column=1, target=0,
                                                      report=report))
    assert [r.sample for r in via_domain] == [r.sample for r in records] and report.n_bad == 0
