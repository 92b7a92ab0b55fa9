"""The latex domain's readers and writer: math extraction from .tex, formula lists, JSON Lines."""

import json

import pytest

import polyseq
from polyseq import ReaderError
from polyseq.records import ReadReport


@pytest.fixture
def latex():
    return polyseq.get_domain("latex")


def read(domain, path, **options):
    report = ReadReport()
    return list(domain.read(path, report=report, **options)), report


def test_tex_extracts_every_kind_of_math_with_its_line(latex, tmp_path):
    path = tmp_path / "paper.tex"
    path.write_text(
        "Costs \\$5 and $a+b$, also \\(c\\).\n"
        "$$d$$ % $not math$\n"
        "\\[ e \\]\n"
        "\\begin{align*}\n f &= g \\\\\n h &= i\n\\end{align*}\n"
        "\\begin{equation}\\begin{split} j \\end{split}\\end{equation}\n"
        "\\begin{eqnarray} k \\end{eqnarray} \\begin{gather*}l\\end{gather*} \\begin{multline}m\\end{multline}\n",
        encoding="utf-8",
    )
    records, report = read(latex, path)
    got = [(r.sample, r.meta["line"], r.meta["delimiter"]) for r in records]
    assert got == [
        ("a+b", 1, "$"), ("c", 1, "\\("), ("d", 2, "$$"), ("e", 3, "\\["),
        ("f &= g \\\\\n h &= i", 4, "align*"), ("\\begin{split} j \\end{split}", 8, "equation"),
        ("k", 9, "eqnarray"), ("l", 9, "gather*"), ("m", 9, "multline"),
    ]
    assert report.n_bad == 0


def test_tex_unclosed_and_empty_math_are_bad_records_with_lines(latex, tmp_path):
    path = tmp_path / "broken.tex"
    path.write_bytes(b"ok $x$\n$ $ empty\nbad \xff byte $y$\nopen $z and never closed\n")
    records, report = read(latex, path)
    assert [r.sample for r in records] == ["x"]
    assert [(b.meta["line"], b.reason) for b in report.bad] == [
        (3, "not valid UTF-8 text"), (2, "empty formula in '$'"), (4, "math opened with '$' is never closed"),
    ]


@pytest.mark.parametrize("suffix", [".txt", ".lst"])
def test_formula_lists_read_one_per_line_and_report_empty_lines(latex, tmp_path, suffix):
    path = tmp_path / ("formulas" + suffix)
    path.write_text("\\frac { 1 } { 2 }\n\nx ^ { 2 }\n", encoding="utf-8")
    records, report = read(latex, path)
    assert [(r.sample, r.meta["line"]) for r in records] == [("\\frac { 1 } { 2 }", 1), ("x ^ { 2 }", 3)]
    assert [(b.where, b.reason) for b in report.bad] == [(f"{path}:2", "empty line")]


@pytest.mark.parametrize("suffix", [".txt", ".lst"])
def test_formula_lists_report_malformed_formulas_with_their_line(latex, tmp_path, suffix):
    # regression: a line the validator rejects was read as a formula
    path = tmp_path / ("formulas" + suffix)
    path.write_text("x^{2}\n}{ !! malformed record !! }{\n\\frac{a}{b\n\\alpha\n", encoding="utf-8")
    records, report = read(latex, path)
    assert [(r.sample, r.meta["line"]) for r in records] == [("x^{2}", 1), ("\\alpha", 4)]
    assert [(b.meta["line"], b.reason) for b in report.bad] == [
        (2, "'}' at token 1 closes nothing"), (3, "'{' is not closed before the end of the formula")]
    records, report = read(latex, path, validate=False)  # generated formulas, valid or not
    assert len(records) == 4 and report.n_bad == 0


def test_jsonl_extracts_math_from_a_text_field_with_the_label(latex, tmp_path):
    path = tmp_path / "math.jsonl"
    rows = [{"problem": "Find $x$ if \\[x^2 = 4.\\]", "subject": "Algebra"}, {"problem": "No math.", "subject": "x"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n", encoding="utf-8")
    records, report = read(latex, path, column="problem", target="subject", extract=True)
    assert [(r.sample, r.target, r.meta["line"]) for r in records] == [("x", "Algebra", 1), ("x^2 = 4.", "Algebra", 1)]
    assert report.bad[0].where == f"{path}:3"


def test_jsonl_missing_field_lists_the_fields_present(latex, tmp_path):
    path = tmp_path / "math.jsonl"
    path.write_text('{"problem": "$x$", "answer": "2"}\n', encoding="utf-8")
    with pytest.raises(ReaderError, match=r"math.jsonl:1: no field 'formula'. Fields present: problem, answer"):
        list(latex.read(path))


def test_writer_writes_one_normalised_formula_per_line(latex, tmp_path):
    samples = ["\\frac { a }\n{ b } % comment", "\\alpha x", "   "]
    with pytest.warns(UserWarning, match="1 empty formula"):
        [path] = latex.part("writer")(samples, tmp_path / "out.txt")
    assert path.read_text(encoding="utf-8") == "\\frac{a}{b}\n\\alpha x\n"
    records, report = read(latex, path)
    assert [r.sample for r in records] == ["\\frac{a}{b}", "\\alpha x"] and report.n_bad == 0
