"""DNA readers and writer: line numbers, windows, gzip, bad records and unreadable files."""

import gzip
import itertools

import pytest

import polyseq
from polyseq import BadRecordError, ConfigError, ReadReport, ReaderError
from polyseq_dna.io import summarize, window_bounds


@pytest.fixture
def dna():
    return polyseq.get_domain("dna")


def read(dna, path, **options):
    report = ReadReport()
    return list(dna.read(path, report=report, **options)), report


FASTA = ">chr1 first\nACGTACGTAC\nGGTT\n>chr2\nNNNNACGTRY\n\n>chr3 third one\nacgt\n"


def test_fasta_records_carry_source_header_line_id_and_counts(dna, tmp_path):
    path = tmp_path / "genome.fa"
    path.write_text(FASTA)
    records, report = read(dna, path)
    assert [r.sample for r in records] == ["ACGTACGTACGGTT", "NNNNACGTRY", "acgt"]
    assert [r.meta["line"] for r in records] == [1, 4, 7]
    assert [r.meta["id"] for r in records] == ["chr1", "chr2", "chr3"]
    assert records[1].meta["ambiguous"] == 6 and records[1].meta["non_acgtn"] == 2
    assert all(r.meta["source"] == str(path) for r in records) and report.n_bad == 0
    assert summarize(records) == {"records": 3, "bases": 28, "records_with_ambiguous": 1,
                                  "records_with_non_acgtn": 1, "ambiguous_letters": 6, "non_acgtn_letters": 2}


def test_fastq_header_lines_survive_quality_lines_starting_with_at(dna, tmp_path):
    path = tmp_path / "reads.fastq"
    path.write_text("@r1\nACGT\n+\n@III\n@r2\nAC\nGT\n+r2\nII\nII\n@r3\nA\n+\n@\n")
    records, _ = read(dna, path)
    assert [(r.meta["id"], r.meta["line"], r.sample) for r in records] == [
        ("r1", 1, "ACGT"), ("r2", 5, "ACGT"), ("r3", 11, "A")]


def test_genbank_line_is_the_locus_line(dna, tmp_path):
    files = dna.part("example_files")(tmp_path)
    path = next(p for p in files if p.name == "example.gbk")
    lines = path.read_text().splitlines()
    locus = [i + 1 for i, line in enumerate(lines) if line.startswith("LOCUS")]
    records, _ = read(dna, path)
    assert [r.meta["line"] for r in records] == locus and records[0].meta["id"] == "EX000001.1"


@pytest.mark.parametrize("name", ["genome.fa.gz", "genome.fasta"])
def test_gzip_is_opened_by_its_magic_bytes_whatever_the_name(dna, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(gzip.compress(FASTA.encode()))
    assert [r.sample for r in read(dna, path)[0]][0] == "ACGTACGTACGGTT"


# ---- windows ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "window", "stride", "expected"), [
    (10, None, None, [(0, 10)]),
    (10, 4, None, [(0, 4), (4, 8), (8, 10)]),
    (10, 4, 3, [(0, 4), (3, 7), (6, 10)]),
    (10, 4, 5, [(0, 4), (5, 9)]),  # stride > window: gaps, as asked
    (3, 4, 2, [(0, 3)]),
])
def test_window_bounds(length, window, stride, expected):
    assert list(window_bounds(length, window, stride or window)) == expected


def test_windows_cover_every_base_and_name_their_position(dna, tmp_path):
    path = tmp_path / "g.fa"
    path.write_text(FASTA)
    records, _ = read(dna, path, window=4)
    chr1 = [r for r in records if r.meta["id"] == "chr1"]
    assert "".join(r.sample for r in chr1) == "ACGTACGTACGGTT"
    assert [(r.meta["start"], r.meta["end"], r.meta["line"]) for r in chr1] == [(0, 4, 1), (4, 8, 1), (8, 12, 1),
                                                                                (12, 14, 1)]
    overlapping, _ = read(dna, path, window=6, stride=2)
    assert [r.sample for r in overlapping][:3] == ["ACGTAC", "GTACGT", "ACGTAC"]


@pytest.mark.parametrize(("options", "message"), [
    ({"window": 0}, "window must be a positive integer"),
    ({"window": 10, "stride": -1}, "stride must be a positive integer"),
    ({"stride": 5}, "stride=5 needs a window"),
])
def test_window_options_are_checked(dna, tmp_path, options, message):
    path = tmp_path / "g.fa"
    path.write_text(FASTA)
    with pytest.raises(ConfigError, match=message):
        dna.read(path, **options)  # checked before iteration starts


def test_reading_streams_record_by_record(dna, tmp_path):
    path = tmp_path / "many.fa"
    path.write_text("".join(f">s{i}\nACGT\n" for i in range(1000)) + ">bad\n\x00\n")
    first = list(itertools.islice(dna.read(path), 3))  # the broken tail is never reached
    assert [r.meta["id"] for r in first] == ["s0", "s1", "s2"]


# ---- bad records and unreadable files ---------------------------------------------------------------


def test_bad_letters_and_empty_records_are_reported_and_nothing_else_is_lost(dna, tmp_path):
    path = tmp_path / "bad.fa"
    path.write_text(">a\nACGT\n>b\nACGXT\n>c\n>d\nAC\n")
    records, report = read(dna, path)
    assert [r.meta["id"] for r in records] == ["a", "d"]
    assert [(b.where, b.reason.split(" (")[0]) for b in report.bad] == [
        (f"{path}:3", "letter 'X' at position 4 of the sequence is not an IUPAC nucleotide code"),
        (f"{path}:5", "empty sequence")]
    with pytest.raises(BadRecordError, match=f"{path}:3"):
        list(dna.read(path, strict=True))


def test_truncated_fastq_keeps_the_reads_before_and_names_file_and_line(dna, tmp_path):
    path = tmp_path / "reads.fq"
    path.write_text("@r1\nACGT\n+\nIIII\n@r2\nACGTAC\n+\nII")
    records, report = read(dna, path)
    assert [r.meta["id"] for r in records] == ["r1"]
    assert report.bad[0].where == f"{path}:5" and "Lengths of sequence and quality" in report.bad[0].reason
    assert "reading stopped here" in report.bad[0].reason


def test_fastq_truncated_in_its_first_record_is_an_error_naming_the_file(dna, tmp_path):
    path = tmp_path / "reads.fq"
    path.write_text("@r1\nACGT\n")
    with pytest.raises(ReaderError, match=rf"{path}:\d+: cannot be read as FASTQ"):
        list(dna.read(path))


def test_truncated_gzip(dna, tmp_path):
    whole = gzip.compress("".join(f">s{i}\n{'ACGT' * 500}\n" for i in range(400)).encode())
    path = tmp_path / "cut.fa.gz"
    path.write_bytes(whole[: len(whole) // 2])
    records, report = read(dna, path)
    assert records and report.n_bad == 1 and "ends early" in report.bad[0].reason
    assert report.bad[0].meta["line"] == 2 * len(records) + 1
    path.write_bytes(whole[:16])
    with pytest.raises(ReaderError, match=f"{path}:.*ends early"):
        list(dna.read(path))


def test_truncated_genbank_record_is_bad(dna, tmp_path):
    files = dna.part("example_files")(tmp_path)
    text = next(p for p in files if p.name == "example.gb").read_text()
    path = tmp_path / "cut.gb"
    path.write_text(text[: text.index("//", text.index("//") + 2) - 30])
    records, report = read(dna, path)
    assert len(records) == 1 and report.n_bad == 1 and "truncated GenBank record" in report.bad[0].reason


@pytest.mark.parametrize("text", ["hello\n", "\x00\xff junk"])
def test_a_file_of_another_format_is_an_error_naming_it(dna, tmp_path, text):
    path = tmp_path / "x.fasta"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ReaderError, match=f"{path}:1: cannot be read as FASTA"):
        list(dna.read(path))


# ---- one bad record spoils nothing else (regressions: a strict decode lost the file, Biopython stopped) -------


@pytest.mark.parametrize("name", ["latin1.fa", "latin1.fa.gz"])
def test_fasta_bytes_that_are_not_utf8_spoil_only_their_record(dna, tmp_path, name):
    path = tmp_path / name
    data = b">a\nACGT\n>b caf\xe9\nACGT\n>c\nGGCC\n"
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    records, report = read(dna, path)
    assert [(r.meta["id"], r.meta["line"]) for r in records] == [("a", 1), ("c", 5)]
    assert [(b.meta["line"], b.reason) for b in report.bad] == [(3, "not valid UTF-8 text")]


def test_fasta_text_before_the_first_header_is_one_bad_record(dna, tmp_path):
    path = tmp_path / "notes.fa"
    path.write_text("\nmade by hand\n>a\nAC\tGT\n")
    records, report = read(dna, path)
    assert [r.sample for r in records] == ["ACGT"]  # tabs in a sequence line go, as Biopython's FASTA parser does
    assert [(b.meta["line"], b.reason) for b in report.bad] == [(2, "text before the first '>' header line")]


FASTQ_MIXED = (b"@r1\nACGT\n+\nIIII\n"
               b"@r2 caf\xe9\nACGT\n+\nIIII\n"  # 5: not UTF-8
               b"@r3\nACGTAC\n+\nII\n"  # 9: quality too short, Biopython reads on into r4
               b"@r4\nAC\n+\nII\n"  # 13
               b"}{ junk }{\n\xff\n"  # 17-18: no record
               b"@r5\nA\n+\n@\n"  # 19: a quality line may start with '@'
               b"@r6\nAC\n+\nI\x7f\n"  # 23: DEL is no Phred+33 quality
               b"@r7\nGG\n+\nII\n")  # 27


def test_fastq_reports_each_malformed_record_and_resumes_at_the_next(dna, tmp_path):
    path = tmp_path / "mixed.fq"
    path.write_bytes(FASTQ_MIXED)
    records, report = read(dna, path)
    assert [(r.meta["id"], r.meta["line"]) for r in records] == [("r1", 1), ("r4", 13), ("r5", 19), ("r7", 27)]
    bad = [(b.meta["line"], b.reason) for b in report.bad]
    assert bad[0] == (5, "not valid UTF-8 text")
    assert bad[1][0] == 9 and "Lengths of sequence and quality" in bad[1][1]
    assert "lines 9-12 skipped, reading resumed at the next record (line 13)" in bad[1][1]
    assert bad[2][0] == 17 and bad[2][1].startswith("not part of a FASTQ record")  # r4 before it is kept
    assert "lines 17-18 skipped" in bad[2][1]
    assert bad[3] == (23, "quality line holds characters outside '!'..'~' (Phred+33)")
    assert len(bad) == 4


def test_fastq_starting_with_junk_reads_the_records_after_it(dna, tmp_path):
    path = tmp_path / "junk.fastq"
    path.write_text("not fastq\n@r1\nACGT\n+\nIIII\n")
    records, report = read(dna, path)
    assert [r.meta["line"] for r in records] == [2]
    assert report.bad[0].meta["line"] == 1 and "should start with '@'" in report.bad[0].reason


def test_genbank_junk_bad_bytes_and_an_unparsable_record_are_each_one_bad_record(dna, tmp_path):
    files = dna.part("example_files")(tmp_path)
    text = next(p for p in files if p.name == "example.gb").read_bytes()
    one, two, three = (r + b"//\n" for r in text.split(b"//\n")[:3])
    path = tmp_path / "mixed.gbk"
    path.write_bytes(b"NCBI release header\n\n" + one + b"stray line\nanother\n\n"  # preamble skipped, junk at 16
                     + two.replace(b"example sequence 2.", b"caf\xe9 2.")  # 19
                     + three.replace(b"28 bp", b"zz bp")  # 32: Biopython cannot parse the LOCUS line
                     + one)  # 44
    records, report = read(dna, path)
    assert [(r.meta["id"], r.meta["line"]) for r in records] == [("EX000001.1", 3), ("EX000001.1", 44)]
    bad = [(b.meta["line"], b.reason) for b in report.bad]
    assert bad[0] == (16, "text between GenBank records (after a '//' line, before the next LOCUS line)")
    assert bad[1] == (19, "not valid UTF-8 text")
    assert bad[2][0] == 32 and bad[2][1].startswith("GenBank record cannot be parsed (ValueError")


# ---- CSV / TSV ---------------------------------------------------------------------------------------


def test_csv_finds_sequence_and_label_columns_case_insensitively(dna, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("Label,name,SEQ\nEI,a,ACGT\nN,b,acgn\n")
    records, _ = read(dna, path, target="label")
    assert [(r.sample, r.target, r.meta["line"]) for r in records] == [("ACGT", "EI", 2), ("acgn", "N", 3)]
    assert [r.target for r in read(dna, path)[0]] == [None, None]  # no target unless asked for
    assert [r.target for r in read(dna, path, target="name")[0]] == ["a", "b"]


def test_the_old_label_option_still_works_with_a_warning(dna, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("sequence,class\nACGT,EI\n")
    with pytest.warns(FutureWarning, match="reader option 'label' is now called 'target'"):
        assert [r.target for r in read(dna, path, label="class")[0]] == ["EI"]
    with pytest.warns(FutureWarning):
        assert [r.target for r in read(dna, path, label="")[0]] == [None]  # label='' turned the target off


def test_tsv_and_an_explicit_column(dna, tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("dna\ty\nACGT\t1\n")
    records, _ = read(dna, path, column="DNA", target="y")
    assert (records[0].sample, records[0].target) == ("ACGT", "1")


def test_missing_column_lists_the_columns_present(dna, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,dna\na,ACGT\n")
    with pytest.raises(ReaderError, match=rf"{path}: cannot tell which column holds the samples: none is named "
                                          r"'sequence' or 'seq'\. Columns present: name, dna\. Pass column="):
        list(dna.read(path))
    with pytest.raises(ReaderError, match="no column 'sequence_x'. Columns present: name, dna"):
        list(dna.read(path, column="sequence_x"))


def test_csv_bad_rows_are_reported_with_their_line(dna, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('label,sequence\nA,ACGT\nB,AC1T\n\n"C","GG\nTT"\nD,\nE')
    records, report = read(dna, path, target="label")
    assert [(r.target, r.sample, r.meta["line"]) for r in records] == [("A", "ACGT", 2)]
    assert [b.where for b in report.bad] == [f"{path}:{n}" for n in (3, 4, 5, 7, 8)]  # a quoted field spans 5-6
    assert [b.reason.split(" of the")[0].split(" (")[0] for b in report.bad] == [
        "letter '1' at position 3", "empty line", "letter '\\n' at position 3", "no sample: column 'sequence' is empty",
        "row has 1 field(s), the header has 2"]


def test_a_sequence_target_comes_back_unchanged(dna, tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("id,dna,protein\ng1,ATGAAATAA,MK*\n")
    (record,), _ = read(dna, path, column="dna", target="protein")
    assert (record.sample, record.target) == ("ATGAAATAA", "MK*")
    windows, _ = read(dna, path, column="dna", target="protein", window=4)
    assert [w.target for w in windows] == ["MK*"] * 3  # not a per-base target: every window keeps it whole


def test_per_base_labels_are_checked_and_windowed_with_the_sequence(dna, tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text("id,start,sequence,labels\nw1,0,ACGTACGTAC,..+++---..\nw2,10,ACGT,..+\n")
    records, report = read(dna, path, target="labels", per_base_label=True)
    assert [(r.sample, r.target) for r in records] == [("ACGTACGTAC", "..+++---..")]
    assert report.bad[0].where == f"{path}:3" and "3 label(s) for a sequence of 4 bases" in report.bad[0].reason
    windows, _ = read(dna, path, target="labels", per_base_label=True, window=4)
    assert [(w.sample, w.target) for w in windows] == [("ACGT", "..++"), ("ACGT", "+---"), ("AC", "..")]
    assert all(len(w.sample) == len(w.target) for w in windows)
    with pytest.raises(ConfigError, match="per_base_label=True needs target=<the column of per-base labels>"):
        list(dna.read(path, per_base_label=True))
    with pytest.raises(ReaderError, match="no column 'label'. Columns present: id, start, sequence, labels"):
        list(dna.read(path, target="label", per_base_label=True))


# ---- writer and parse ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["out.fa", "out.fa.gz"])
def test_written_fasta_reads_back(dna, tmp_path, name):
    samples = ["ACGT" * 30, "NNRY", "acgt"]
    paths = dna.part("writer")(samples, tmp_path / name)
    assert [r.sample for r in dna.read(paths[0])] == samples


def test_samples_fasta_cannot_hold_are_kept_exactly_beside_it(dna, tmp_path):
    """A byte-level model can emit what a sequence line cannot hold: nothing generated is lost."""
    import json

    samples = ["ACGT", "AC\nGT", ">ACGT" * 20, "AC GT\u00e9", "GG;CC"]
    with pytest.warns(UserWarning, match=r"out.fa: 4 sample\(s\) held characters .*out.fa.exact.jsonl"):
        paths = dna.part("writer")(samples, tmp_path / "out.fa")
    assert [p.name for p in paths] == ["out.fa", "out.fa.exact.jsonl"]
    assert [r.sample for r in dna.read(paths[0])] == ["ACGT", "ACNGT", "NACGT" * 20, "ACNGTN", "GGNCC"]
    exact = [json.loads(line) for line in paths[1].read_text(encoding="utf-8").splitlines()]
    assert [(e["index"], e["id"], e["sample"]) for e in exact] == [
        (i + 1, f"sample_{i + 1}", s) for i, s in enumerate(samples) if i > 0]


def test_parse_text_accepts_fasta_and_spaces(dna):
    assert dna.parse_text(">x desc\nACGT\nAC GT\n") == "ACGTACGT"
    assert dna.parse_text(" acgt  nn ") == "acgtnn"
