"""Opt-in: the latex domain on im2latex-100k (validation split) and MATH-500 (POLYSEQ_DATA_MIRROR)."""

import random

import pytest

import polyseq
from polyseq.records import ReadReport

from polyseq_latex.tokenizers import lex
from polyseq_latex.validate import metrics, validate

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def im2latex(data_mirror):
    report = ReadReport()
    records = list(polyseq.get_domain("latex").read(data_mirror / "latex/im2latex_validate/formulas.lst",
                                                     report=report))
    # 11 formulas end in a lone backslash (a cut `\\` or `\,`): the validator rejects them, and the
    # reader reports each with its line instead of training on it
    assert report.n_bad == 11 and set(report.reasons()) == {"a lone backslash ends the formula"}
    return [r.sample for r in records]


@pytest.fixture(scope="module")
def math500(data_mirror):
    report = ReadReport()
    path = data_mirror / "latex/math500_subjects/math500_dev.jsonl"
    records = list(polyseq.get_domain("latex").read(path, column="solution", target="subject", extract=True,
                                                     report=report))
    return records, report


def test_im2latex_every_formula_round_trips_to_the_same_tex_tokens(im2latex):
    assert len(im2latex) == 8308 - 11
    tok = polyseq.get_domain("latex").make_tokenizer()
    tok.train(im2latex)
    decoded = tok.decode_batch(tok.encode_batch(im2latex))
    assert all(d == tok.normalize(f) for d, f in zip(decoded, im2latex))
    assert all(lex(d) == lex(f) for d, f in zip(decoded, im2latex))
    assert sum(len(d) for d in decoded) < 0.7 * sum(len(f) for f in im2latex)  # the spaces between tokens go


def test_im2latex_is_almost_all_valid(im2latex):
    structural = sum(validate(f, renderer=False) is None for f in im2latex) / len(im2latex)
    assert structural > 0.995
    sample = random.Random(0).sample(im2latex, 200)  # mathtext is ~20 ms a formula
    assert metrics(sample)["valid_fraction"] > 0.98


def test_math500_solutions_yield_formulas_that_round_trip_and_validate(math500):
    records, report = math500
    assert len(records) > 2000 and report.n_bad == 0
    assert {r.target for r in records} >= {"Algebra", "Geometry", "Precalculus"}
    formulas = [r.sample for r in records]
    tok = polyseq.get_domain("latex").make_tokenizer()
    tok.train(formulas)
    assert all(lex(tok.decode(tok.encode(f))) == lex(f) for f in formulas)
    valid = sum(validate(f, renderer=False) is None for f in formulas) / len(formulas)
    assert valid > 0.97


def test_math500_problem_field_reads_whole_problems_with_labels(data_mirror):
    path = data_mirror / "latex/math500_subjects/math500_dev.jsonl"
    records = list(polyseq.get_domain("latex").read(path, column="problem", target="level"))
    assert len(records) == 400 and {r.target for r in records} == {1, 2, 3, 4, 5}
