"""The dna domain on the real datasets of POLYSEQ_DATA_MIRROR (opt-in: skipped without it).

Corrupted copies are written to tmp_path only; nothing of the mirror enters the repository.
"""

import gzip
from collections import Counter

import pytest

import polyseq
from polyseq import ReadReport, ReaderError
from polyseq_dna.io import summarize
from polyseq_dna.metrics import metrics
from polyseq_dna.tokenizers import BPETokenizer, KmerTokenizer

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def dna():
    return polyseq.get_domain("dna")


@pytest.fixture(scope="module")
def splice(data_mirror):
    return data_mirror / "dna" / "splice_junction" / "splice.csv"


@pytest.fixture(scope="module")
def lambda_fa(data_mirror):
    return data_mirror / "dna" / "lambda_phage" / "lambdaNEB.fa"


@pytest.fixture(scope="module")
def ecoli(data_mirror):
    return data_mirror / "dna" / "ecoli_k12_genome" / "GCF_000005845.2_ASM584v2_genomic.fna.gz"


def read(dna, path, **options):
    report = ReadReport()
    return list(dna.read(path, report=report, **options)), report


def test_splice_junctions(dna, splice):
    records, report = read(dna, splice, target="label")
    assert len(records) == 3190 and report.n_bad == 0
    assert Counter(r.target for r in records) == {"EI": 767, "IE": 768, "N": 1655}
    assert {len(r.sample) for r in records} == {60}
    counts = summarize(records)
    assert counts["records_with_ambiguous"] == 15  # N, D, R, S, as the data README says
    assert counts["records_with_non_acgtn"] == 4 and counts["non_acgtn_letters"] == 4
    assert records[0].meta["line"] == 2 and records[-1].meta["line"] == 3191


def test_lambda_genome(dna, lambda_fa):
    (record,), report = read(dna, lambda_fa)
    assert (record.meta["id"], record.meta["line"], len(record.sample)) == ("lambda_NEB3011", 1, 48_502)
    assert record.meta["ambiguous"] == 0 and report.n_bad == 0
    windows, _ = read(dna, lambda_fa, window=1000)
    assert len(windows) == 49 and "".join(w.sample for w in windows) == record.sample
    for tok in (KmerTokenizer(k=6), KmerTokenizer(k=6, overlap=False)):
        assert tok.decode(tok.encode(record.sample)) == record.sample


def test_ecoli_genome_gzip(dna, ecoli):
    windows, report = read(dna, ecoli, window=100_000)
    assert len(windows) == 47 and report.n_bad == 0
    assert sum(len(w.sample) for w in windows) == 4_641_652
    assert {w.meta["id"] for w in windows} == {"NC_000913.3"} and windows[-1].meta["end"] == 4_641_652
    assert abs(metrics([w.sample for w in windows])["gc_content"] - 0.508) < 0.002


def test_bpe_learned_on_lambda_round_trips_ecoli_windows(dna, lambda_fa, ecoli):
    tok = BPETokenizer(vocab_size=256)
    tok.train([w.sample for w in read(dna, lambda_fa, window=2000)[0]])
    sample = next(iter(dna.read(ecoli, window=5000))).sample
    ids = tok.encode(sample)
    assert tok.decode(ids) == sample and len(ids) < len(sample) / 2


# ---- corrupted copies ----------------------------------------------------------------------------------


def test_splice_copy_with_a_non_dna_letter_and_a_truncated_last_row(dna, splice, tmp_path):
    lines = splice.read_text().splitlines(keepends=True)
    label, name, seq = lines[9].rstrip("\n").split(",")
    lines[9] = f"{label},{name},{seq[:20]}Z{seq[21:]}\n"  # line 10 of the file
    text = "".join(lines)
    broken = tmp_path / "splice.csv"
    broken.write_text(text[: text.rindex(",")])  # cut inside the last row, before its sequence
    records, report = read(dna, broken)
    assert len(records) == 3188
    assert [(b.where, b.reason.split(" of the")[0].split(" (")[0]) for b in report.bad] == [
        (f"{broken}:10", "letter 'Z' at position 21"), (f"{broken}:3191", "row has 2 field(s), the header has 3")]


def test_fasta_copies_with_a_bad_letter_and_truncated(dna, lambda_fa, tmp_path):
    (record,), _ = read(dna, lambda_fa)
    pieces = [record.sample[i : i + 5000] for i in range(0, len(record.sample), 5000)]
    pieces[3] = pieces[3][:100] + "*" + pieces[3][101:]
    multi = tmp_path / "lambda_pieces.fa"
    multi.write_text("".join(f">piece{i}\n" + "\n".join(p[j : j + 80] for j in range(0, len(p), 80)) + "\n"
                             for i, p in enumerate(pieces)))
    records, report = read(dna, multi)
    header_line = 1 + sum(1 + -(-len(p) // 80) for p in pieces[:3])
    assert len(records) == 9 and report.n_bad == 1
    assert report.bad[0].where == f"{multi}:{header_line}" and "letter '*' at position 101" in report.bad[0].reason
    # a plain FASTA cut short cannot be told from a shorter sequence: documented, read as it is
    short = tmp_path / "lambda_cut.fa"
    short.write_text(lambda_fa.read_text()[:30_000])
    (cut,), report = read(dna, short)
    assert report.n_bad == 0 and record.sample.startswith(cut.sample)


def test_truncated_gzip_copies(dna, ecoli, lambda_fa, tmp_path):
    cut = tmp_path / "ecoli_cut.fna.gz"
    cut.write_bytes(ecoli.read_bytes()[:700_000])
    with pytest.raises(ReaderError, match=f"{cut}:.*compressed file ends early"):
        list(dna.read(cut))
    (record,), _ = read(dna, lambda_fa)
    text = "".join(f">w{i}\n{record.sample[i * 1000 : (i + 1) * 1000]}\n" for i in range(48))
    data = gzip.compress(text.encode())
    many = tmp_path / "lambda_windows.fa.gz"
    many.write_bytes(data[: len(data) * 3 // 4])
    records, report = read(dna, many)
    assert 20 < len(records) < 48 and report.n_bad == 1
    assert all(r.sample == record.sample[i * 1000 : (i + 1) * 1000] for i, r in enumerate(records))
    assert report.bad[0].where == f"{many}:{2 * len(records) + 1}" and "ends early" in report.bad[0].reason
