"""The text domain's readers and writer: options, bad records and errors that name file and line."""

import pytest

import polyseq
from polyseq import BadRecordError, ConfigError, ReaderError
from polyseq.records import ReadReport


@pytest.fixture
def text():
    return polyseq.get_domain("text")


def read(domain, path, **options):
    report = ReadReport()
    records = list(domain.read(path, report=report, **options))
    return records, report


def test_txt_document_mode_keeps_the_whole_text(text, tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text("First Citizen:\nBefore we proceed.\n\nAll:\nSpeak.\n", encoding="utf-8")
    records, report = read(text, path)
    assert [r.sample for r in records] == [path.read_text(encoding="utf-8")]
    assert records[0].meta == {"source": str(path), "line": 1}


def test_txt_line_mode_reports_empty_lines_with_their_number(text, tmp_path):
    path = tmp_path / "lines.txt"
    path.write_bytes(b"one\r\ntwo\n\nthree")
    records, report = read(text, path, mode="line")
    assert [(r.sample, r.meta["line"]) for r in records] == [("one", 1), ("two", 2), ("three", 4)]
    assert [(b.where, b.reason) for b in report.bad] == [(f"{path}:3", "empty line")]


def test_txt_paragraph_mode_splits_at_blank_lines(text, tmp_path):
    path = tmp_path / "paras.txt"
    path.write_text("a\nb\n\n\nc\n", encoding="utf-8")
    records, _ = read(text, path, mode="paragraph")
    assert [(r.sample, r.meta["line"]) for r in records] == [("a\nb", 1), ("c", 5)]


def test_txt_undecodable_line_is_a_bad_record_with_its_line(text, tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"good\nbad \xff\xfe byte\nfine\n")
    records, report = read(text, path, mode="line")
    assert [r.sample for r in records] == ["good", "fine"]
    assert [b.where for b in report.bad] == [f"{path}:2"] and "UTF-8" in report.bad[0].reason
    _, report = read(text, path)
    assert report.bad[0].where == f"{path}:2"


def test_txt_unknown_mode_is_a_config_error(text, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="mode must be one of document, line, paragraph, got 'lines'"):
        list(text.read(path, mode="lines"))


def test_csv_reads_named_columns_and_quoted_multiline_text(text, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('id,message,category\n1,"hello, ""world""",greeting\n2,"two\nlines",other\n3,plain,x\n',
                    encoding="utf-8")
    records, report = read(text, path, column="message", target="category")
    assert [(r.sample, r.target, r.meta["line"]) for r in records] == [
        ('hello, "world"', "greeting", 2), ("two\nlines", "other", 3), ("plain", "x", 5),
    ]
    assert report.n_bad == 0


def test_the_old_option_names_still_work_with_a_warning(text, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("id,message,category\n1,hello,greeting\n", encoding="utf-8")
    with pytest.warns(FutureWarning) as caught:
        records, _ = read(text, path, text_column="message", target_column="category")
    said = " ".join(str(w.message) for w in caught)
    assert "reader option 'text_column' is now called 'column'" in said and "'target_column' is now called 'target'" in said
    assert [(r.sample, r.target) for r in records] == [("hello", "greeting")]


def test_csv_targets_are_text_unless_target_type_converts_them(text, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,label\nhi,1\nyo,2\nhey,not-a-number\n", encoding="utf-8")
    records, report = read(text, path, target="label", target_type="int")
    assert [(r.sample, r.target) for r in records] == [("hi", 1), ("yo", 2)]
    assert report.bad[0].where == f"{path}:4" and "not-a-number" in report.bad[0].reason
    assert [r.target for r in read(text, path, target="label")[0]] == ["1", "2", "not-a-number"]
    assert [r.target for r in read(text, path)[0]] == [None, None, None]  # no target unless asked for


def test_missing_column_is_an_error_listing_the_columns_present(text, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("sms,label\nhi,ham\n", encoding="utf-8")
    with pytest.raises(ReaderError) as info:
        list(text.read(path))
    message = str(info.value)
    assert str(path) in message and "no column 'text'" in message and "Columns present: sms, label" in message


def test_empty_and_short_rows_are_bad_records_with_lines(text, tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("label\ttext\nham\thello\n\nspam\t \nham\n", encoding="utf-8")
    records, report = read(text, path, target="label")
    assert [(r.sample, r.target) for r in records] == [("hello", "ham")]
    assert [(b.meta["line"], b.reason) for b in report.bad] == [
        (3, "empty line"), (4, "no sample: column 'text' is empty"), (5, "row has 1 field(s), the header has 2"),
    ]


def test_strict_mode_raises_on_the_first_bad_row_naming_file_and_line(text, tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "ok"}\n{"text": ""}\n', encoding="utf-8")
    with pytest.raises(BadRecordError, match=rf"{path}:2: field 'text' is empty"):
        list(text.read(path, strict=True))


def test_headerless_tsv_by_position_splits_at_the_first_tab_only(text, tmp_path):
    path = tmp_path / "sms.tsv"
    path.write_text("ham\tGo until jurong point\nspam\tFree entry\twith a tab\n", encoding="utf-8")
    records, report = read(text, path, header=False, column=1, target=0)
    assert [(r.sample, r.target, r.meta["line"]) for r in records] == [
        ("Go until jurong point", "ham", 1), ("Free entry\twith a tab", "spam", 2),
    ]
    from polyseq_text.io import read_tsv

    bare = tmp_path / "SMSSpamCollection"  # as distributed: no suffix, the .tsv reader splits at tabs all the same
    bare.write_bytes(path.read_bytes())
    assert [r.sample for r in read_tsv(bare, header=False, column=1, target=0)] == [r.sample for r in records]


def test_headerless_file_needs_positions(text, tmp_path):
    path = tmp_path / "sms.tsv"
    path.write_text("ham\thi\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="column must be a column position"):
        list(text.read(path, header=False))


def test_jsonl_reports_bad_json_missing_fields_and_non_objects(text, tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "a", "target": 0.5}\n{"text": \n[1, 2]\n{"other": "x"}\n{"text": "b", "target": 1}\n',
                    encoding="utf-8")
    records, report = read(text, path, target="target")
    assert [(r.sample, r.target) for r in records] == [("a", 0.5), ("b", 1)]  # JSON values as they are
    assert [b.meta["line"] for b in report.bad] == [2, 3, 4]
    assert "not valid JSON" in report.bad[0].reason and "expected a JSON object" in report.bad[1].reason
    assert "no field 'text'" in report.bad[2].reason


def test_jsonl_first_record_without_the_text_field_is_an_error(text, tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"problem": "x", "subject": "Algebra"}\n', encoding="utf-8")
    with pytest.raises(ReaderError, match=r"data.jsonl:1: no field 'text'. Fields present: problem, subject"):
        list(text.read(path))
    records, _ = read(text, path, column="problem", target="subject")
    assert (records[0].sample, records[0].target) == ("x", "Algebra")


def test_writer_output_reads_back_identically(text, tmp_path):
    samples = ["plain", "two\nlines", 'quotes " and , commas', "北京 🧬"]
    [path] = text.part("writer")(samples, tmp_path / "out.jsonl")
    records, report = read(text, path)
    assert [r.sample for r in records] == samples and report.n_bad == 0
