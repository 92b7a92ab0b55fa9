"""Token offsets of the LaTeX tokenizer: each token's own characters; dropped whitespace and comments in no span."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyseq.testing import covered_text
from polyseq.tokenizers.offsets import offset_problems
from polyseq_latex.tokenizers import TEXT_SPACE, LatexTokenizer, lex, lex_spans

FORMULAS = st.one_of(
    st.text(alphabet="\\abxyz{}^_ 12\t\n%$~,", max_size=40),
    st.lists(st.sampled_from(["\\frac", "\\text", "{", "}", " ", "  ", "x", "%c\n", "\\\t", "\\ ", "$", "\\mbox",
                              "\\alpha", "1", "\\\\", "é"]), max_size=20).map("".join),
    st.text(max_size=15),
)


@pytest.fixture(scope="module")
def tok():
    return LatexTokenizer()


@given(formula=FORMULAS)
def test_each_token_spans_the_characters_it_was_read_from(tok, formula):
    ids, spans = tok.encode_with_offsets(formula)
    assert ids == tok.encode(formula)
    assert offset_problems(len(formula), ids, spans) == []
    covered_text(formula, spans)  # no two spans overlap
    for token, (s, e) in zip(lex(formula), spans):
        read = formula[s:e]
        if token == TEXT_SPACE:
            assert read.isspace()  # a whitespace run in a text argument
        elif token == "\\ ":
            assert read[0] == "\\" and read[1:].isspace()  # a control space: `\` + space, tab or line break
        else:
            assert read == token
    if "%" not in formula:  # without comments, only whitespace is left out
        covered = set().union(*(range(s, e) for s, e in spans))
        assert all(formula[j].isspace() for j in range(len(formula)) if j not in covered)


def test_lex_spans_on_a_worked_example():
    assert lex_spans("\\frac{a} % why\n{b}") == (
        ["\\frac", "{", "a", "}", "{", "b", "}"], [(0, 5), (5, 6), (6, 7), (7, 8), (15, 16), (16, 17), (17, 18)])
    assert lex_spans("\\text{a  b}")[1][3] == (7, 9)  # the text-mode space covers its whole run
