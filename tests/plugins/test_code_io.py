"""The code domain's readers, writer, validator and metrics."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from polyseq import BadRecordError, ConfigError, ReaderError, ReadReport, get_domain
from polyseq_code.examples import EXAMPLES, SNIPPETS
from polyseq_code.io import read_source, write_samples
from polyseq_code.lexers import SourceCode
from polyseq_code.validate import validate


@pytest.fixture
def code():
    return get_domain("code")


def _read(domain, path, **options):
    report = ReadReport()
    return list(domain.read(path, report=report, **options)), report


# ---- single files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"),
    [("a.py", "Python"), ("a.c", "C"), ("a.h", "C"), ("a.cpp", "C++"), ("a.rs", "Rust"), ("a.R", "R"),
     ("a.jl", "Julia"), ("a.ts", "TypeScript"), ("a.php", "PHP"), ("a.sh", "Bash")],
    ids=["py", "c", "h", "cpp", "rs", "R", "jl", "ts", "php", "sh"],
)
def test_source_file_is_one_record_labelled_by_its_language(code, tmp_path, name, label):
    path = tmp_path / name
    path.write_bytes(b"x\r\ny\n")
    (record,), report = _read(code, path)
    assert record.sample == "x\r\ny\n" and record.target == label == record.sample.language
    assert record.meta == {"source": str(path), "line": 1, "language": label}


def test_language_option_overrides_the_suffix(code, tmp_path):
    path = tmp_path / "build.py"
    path.write_text(SNIPPETS["go"], encoding="utf-8")
    (record,), _ = _read(code, path, language="go")
    assert record.target == "Go" and validate(record.sample) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\x89PNG\r\n\x1a\n\x00\x00", r"binary file \(NUL byte at offset 8\)"),
     (b"x = '\xe9t\xe9'\n", r"not utf-8 text \(byte 0xe9 at offset 5\)"),
     (b"", "empty file")],
    ids=["binary", "latin1", "empty"],
)
def test_unreadable_source_file_is_a_reader_error_naming_it(code, tmp_path, content, message):
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    with pytest.raises(ReaderError, match=message) as info:
        list(code.read(path))
    assert str(path) in str(info.value)


def test_a_suffix_the_domain_does_not_read_needs_a_language(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(ReaderError, match=r"notes.txt: no language for suffix '.txt'; pass language="):
        list(read_source(path))
    (record,) = read_source(path, language="python")
    assert record.target == "Python"


# ---- directory trees -------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / "src" / "pkg" / "core.py").write_bytes(EXAMPLES[3].encode("utf-8"))
    (root / "src" / "main.rs").write_text(SNIPPETS["rust"], encoding="utf-8")
    (root / "src" / "blob.c").write_bytes(b"\x7fELF\x00\x01")
    (root / "src" / "old.py").write_bytes(b"# caf\xe9\n")
    (root / "src" / "empty.go").write_bytes(b"")
    (root / ".venv" / "lib" / "site.py").write_text("x = 1\n", encoding="utf-8")
    (root / "README.md").write_text("# repo\n", encoding="utf-8")
    (root / "logo.png").write_bytes(b"\x89PNG\x00")
    return root


def test_tree_reads_source_files_in_order_and_reports_bad_ones_by_file(code, tree):
    records, report = _read(code, tree)
    assert [(r.meta["path"], r.target) for r in records] == [("src/main.rs", "Rust"), ("src/pkg/core.py", "Python")]
    assert records[1].sample.encode("utf-8") == (tree / "src" / "pkg" / "core.py").read_bytes()
    assert sorted((b.meta["path"], b.reason.split(" (")[0]) for b in report.bad) == [
        ("src/blob.c", "binary file"), ("src/empty.go", "empty file"), ("src/old.py", "not utf-8 text")]
    assert all(b.where.startswith(str(tree / "src")) for b in report.bad)
    with pytest.raises(BadRecordError, match=r"blob.c:1: binary file"):
        list(code.read(tree, strict=True))


def test_tree_glob_hidden_and_language_options(code, tree):
    records, _ = _read(code, tree, glob="src/**/*.py")
    assert [r.meta["path"] for r in records] == ["src/pkg/core.py"]
    records, _ = _read(code, tree, glob="**/*.py", skip_hidden=False)
    assert [r.meta["path"] for r in records] == [".venv/lib/site.py", "src/pkg/core.py"]
    records, _ = _read(code, tree, glob="*.md", language="markdown")
    assert [(r.meta["path"], r.target) for r in records] == [("README.md", "Markdown")]
    with pytest.raises(ReaderError, match=r"no source files match glob='\*\*/\*.java'"):
        list(code.read(tree, glob="**/*.java"))
    with pytest.raises(ConfigError, match=r"language='klingon'"):
        list(code.read(tree, language="klingon"))
    with pytest.raises(ConfigError, match=r"encoding must be a codec name .* got 'utf-9'"):
        list(code.read(tree, encoding="utf-9"))
    records, _ = _read(code, tree, glob="src/old.py", encoding="latin-1")
    assert records[0].sample == "# caf\u00e9\n"


# ---- JSON Lines ------------------------------------------------------------------------------------


def _jsonl(tmp_path, lines):
    path = tmp_path / "snippets.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_jsonl_records_carry_label_language_and_id(code, tmp_path):
    rows = [{"id": "8a23", "language": "Python", "source_repo": "x/y", "path": "a.py", "code": "x = 1\r\n"},
            {"id": "9b34", "language": "R", "path": "a.R", "code": SNIPPETS["r"]},
            {"id": "0c45", "language": "Brainfoo", "code": "+-"}]
    records, report = _read(code, _jsonl(tmp_path, [json.dumps(r) for r in rows]))
    assert report.n_bad == 0
    assert [(r.target, r.sample.language, r.meta["line"], r.meta["id"]) for r in records] == [
        ("Python", "Python", 1, "8a23"), ("R", "R", 2, "9b34"), ("Brainfoo", None, 3, "0c45")]
    assert records[0].sample == "x = 1\r\n"


def test_jsonl_bad_lines_are_bad_records_with_their_line(code, tmp_path):
    path = _jsonl(tmp_path, ['{"language": "Go", "code": "package x"}', "{not json", "", "[1, 2]",
                             '{"language": "Go"}', '{"language": "Go", "code": ""}', '{"language": "Go", "code": "x"}'])
    records, report = _read(code, path)
    assert len(records) == 2
    assert [(b.meta["line"], b.reason.split(":")[0].split(" (")[0]) for b in report.bad] == [
        (2, "not valid JSON"), (3, "empty line"), (4, "expected a JSON object, got array"),
        (5, "no field 'code'"), (6, "field 'code' is empty or not a string")]
    assert report.bad[0].where == f"{path}:2"


def test_jsonl_missing_field_in_first_object_lists_the_fields_present(code, tmp_path):
    path = _jsonl(tmp_path, ['{"id": 1, "lang": "Go", "source": "package x"}'])
    with pytest.raises(ReaderError, match=r"snippets.jsonl:1: no field 'code', 'language'. Fields present: id, lang, "
                                          r"source"):
        list(code.read(path))
    records, _ = _read(code, path, column="source", target="lang")
    assert records[0].target == "Go" and records[0].sample.language == "Go"
    records, _ = _read(code, path, column="source", target=None, language="go")
    assert records[0].target is None and records[0].sample.language == "Go"
    with pytest.warns(FutureWarning) as caught:
        records, _ = _read(code, path, code_field="source", label_field="lang")
    said = " ".join(str(w.message) for w in caught)
    assert "'code_field' is now called 'column'" in said and "'label_field' is now called 'target'" in said
    assert records[0].target == "Go"


# ---- writer, validator, metrics ----------------------------------------------------------------------


def test_writer_writes_one_file_per_sample_with_its_language_suffix(tmp_path):
    samples = ["x = 1\r\n", SourceCode(SNIPPETS["rust"], "Rust"), SourceCode("a <- 1", "R"), SourceCode("x", "Markdown")]
    paths = write_samples(samples, tmp_path / "out")
    assert [p.name for p in paths] == ["sample_00000.py", "sample_00001.rs", "sample_00002.r", "sample_00003.md"]
    assert [p.read_bytes().decode("utf-8") for p in paths] == samples
    assert [p.suffix for p in write_samples(["int x;"], tmp_path / "c", language="c")] == [".c"]


def test_writer_output_reads_back_as_the_same_samples(code, tmp_path):
    samples = [SourceCode(SNIPPETS[a], n) for a, n in [("go", "Go"), ("cpp", "C++"), ("python", "Python")]]
    paths = code.part("writer")(samples, tmp_path)
    back = [next(iter(code.read(p))) for p in paths]
    assert [(r.sample, r.target) for r in back] == [(s, s.language) for s in samples]


def test_validator_python_by_parser_other_languages_by_lexer():
    assert validate(EXAMPLES[0]) is None and validate("\ufeffx = 1\r\n") is None
    assert validate("def f(:\n    pass\n") == "Python SyntaxError: invalid syntax (line 1, column 7)"
    assert validate("x = '\\d'\n") is None  # a SyntaxWarning, valid code
    assert "null bytes" in validate("x = 1\x00")
    assert validate(SNIPPETS["go"], language="go") is None
    assert validate(SourceCode("func f() {\n\ts := `open\n", "Go")) == "Go lexer: unexpected '`' at line 2, column 7"
    assert validate(SourceCode(SNIPPETS["go"], "Go"), language="python") is None  # the sample's own language wins
    assert validate(3) == "source code must be a string, got int"


def test_metrics_parse_rate_unique_and_novel(code):
    metrics = code.part("metrics")
    got = metrics(["x = 1\n", "x = 1\n", "def (:\n", "y = 2\n"], reference=["x = 1\n"])
    assert got == {"n": 4.0, "parse_rate": 0.75, "unique": 0.75, "novel": 1 / 3}
    assert metrics([SourceCode("fn main() {}", "Rust")])["parse_rate"] == 1.0
    assert metrics([])["parse_rate"] == 0.0


def test_importing_the_plugin_and_listing_domains_stays_cheap():
    probe = ("import sys, polyseq; polyseq.get_domain('code'); "
             "print(sorted(m for m in ('pygments', 'tokenizers', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
