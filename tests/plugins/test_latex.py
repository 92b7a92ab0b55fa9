"""The latex domain: conformance kit, the TeX lexer, minimal-space decoding, the validator."""

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polyseq
from polyseq import ConfigError, PolyseqError
from polyseq.testing import DomainChecks
from polyseq.tokenizers.base import UNK_ID

from polyseq_latex.io import EXAMPLES
from polyseq_latex.tokenizers import LatexTokenizer, lex, normal_form
from polyseq_latex.validate import metrics, validate


#: pieces of formulas that stay valid whatever follows them (a command ends in a space or a brace, a script
#: sits on its own base), so any concatenation is a formula the validator accepts (see the test below)
FORMULA_PARTS = ("x", "y_{i}", "z^{2}", "\\alpha ", "+", "-", "=", "2", "\\frac{a}{b}", "\\sqrt{n}",
                 "\\left( x \\right)", "\\{ a \\}", "\\sum_{k=1}^{n}", "\\text{if }", "\\,", "(1)", "\\cdot ", "é")
VALID_FORMULAS = st.lists(st.sampled_from(FORMULA_PARTS), min_size=1, max_size=6).map("".join)


class TestConformance(DomainChecks):
    domain = "latex"

    @pytest.fixture
    def sample_strategy(self):
        # strings of the examples' characters are mostly not formulas, and the formula-list reader
        # rejects what the validator rejects, so the writer check could not read them back
        return VALID_FORMULAS

    @pytest.fixture
    def invalid_sample(self):
        return r"\frac{a}{b"


def test_the_generated_formulas_are_valid():
    from itertools import product

    for n in (1, 2, 3):
        for parts in product(FORMULA_PARTS, repeat=n):
            assert validate("".join(parts), renderer=False) is None, "".join(parts)


@pytest.fixture(scope="module")
def tok():
    return LatexTokenizer()


@pytest.mark.parametrize(
    ("formula", "tokens"),
    [
        (r"\frac{a}{b}", ["\\frac", "{", "a", "}", "{", "b", "}"]),
        (r"x_{12}^2", ["x", "_", "{", "1", "2", "}", "^", "2"]),
        (r"\{ a \} \\ b \, c", ["\\{", "a", "\\}", "\\\\", "b", "\\,", "c"]),
        (r"a & b ~ c", ["a", "&", "b", "~", "c"]),
        (r"\alpha1 + \beta x", ["\\alpha", "1", "+", "\\beta", "x"]),
        ("x % a comment\n+ y", ["x", "+", "y"]),
        (r"50\% off", ["5", "0", "\\%", "o", "f", "f"]),
        ("a\\\tb", ["a", "\\ ", "b"]),
        (r"\text{if  $x y$ is}\ z", ["\\text", "{", "i", "f", " ", "$", "x", "y", "$", " ", "i", "s", "}", "\\ ", "z"]),
    ],
    ids=["frac", "digits", "control-symbols", "align-tilde", "word-ends", "comment", "percent", "control-space",
         "text-mode"],
)
def test_lexer(formula, tokens):
    assert lex(formula) == tokens


@pytest.mark.parametrize(
    ("formula", "normal"),
    [
        (r"\alpha x", r"\alpha x"),
        (r"\frac { 1 } { 2 }", r"\frac{1}{2}"),
        (r"\alpha  1 + \beta\gamma", r"\alpha1+\beta\gamma"),
        (r"\sum _ { i } \mathrm { d } x", r"\sum_{i}\mathrm{d}x"),
        (r"\text{for all} \quad x", r"\text{for all}\quad x"),
        (r"\mbox { ~ f o r ~ }", r"\mbox{ ~ f o r ~ }"),
    ],
    ids=["needs-space", "im2latex", "digit-no-space", "scripts", "text", "mbox"],
)
def test_decode_inserts_only_the_spaces_that_matter(tok, formula, normal):
    assert tok.normalize(formula) == normal
    assert tok.decode(tok.encode(formula)) == normal
    assert lex(normal) == lex(formula)


def test_tokens_are_readable(tok):
    assert tok.tokens(r"\frac{a}{b}") == ["\\frac", "{", "a", "}", "{", "b", "}"]
    assert tok.tokens("x\u2603") == ["x", "<unk>"]


def test_unknown_symbols_are_unk_and_training_learns_them():
    tok = LatexTokenizer()
    assert tok.encode(r"\myop x")[0] == UNK_ID
    tok.train([r"\myop x + \myop y", "π r^2"])
    assert UNK_ID not in tok.encode(r"\myop π")
    assert tok.decode(tok.encode(r"\myop π")) == r"\myopπ"  # π is no ASCII letter: no space needed


def test_vocab_size_caps_what_training_adds():
    base = LatexTokenizer().vocab_size
    tok = LatexTokenizer(vocab_size=base + 1)
    tok.train([r"\foo \foo \bar \baz"])
    assert tok.vocab_size == base + 1 and tok.encode(r"\foo") != [UNK_ID] and tok.encode(r"\baz") == [UNK_ID]


def test_without_builtin_vocabulary_training_is_needed():
    tok = LatexTokenizer(builtin=False)
    with pytest.raises(PolyseqError, match="call train"):
        tok.encode("x")
    tok.train([r"\frac{a}{b}"])
    assert tok.vocab_size == 7 + 5


@pytest.mark.parametrize(("options", "name"), [({"vocab_size": 5}, "vocab_size"), ({"min_freq": 0}, "min_freq"),
                                               ({"builtin": "no"}, "builtin")], ids=["vocab_size", "min_freq", "builtin"])
def test_bad_options_name_the_option(options, name):
    with pytest.raises(ConfigError, match=name):
        LatexTokenizer(**options)


# ---- hypothesis: formulas built from LaTeX tokens with arbitrary whitespace and comments -----------

_ATOMS = st.sampled_from([
    "\\frac", "\\alpha", "\\left(", "\\right)", "\\sum", "\\\\", "\\{", "\\}", "\\,", "\\ ", "{", "}", "^", "_", "&",
    "~", "x", "y", "Z", "0", "1", "9", "+", "-", "=", "(", ")", "[", "]", "|", "'", "\\text{a b}", "\\mbox{ c }",
    "% note\n", "é", "\\mathrm{d}", "\\%",
])
_SPACE = st.sampled_from(["", " ", "  ", "\n", "\t", " \n "])


@st.composite
def formulas(draw):
    parts = draw(st.lists(st.tuples(_ATOMS, _SPACE), max_size=25))
    return "".join(a + s for a, s in parts)


@settings(max_examples=300, deadline=None)
@given(formulas())
def test_round_trip_gives_the_normal_form_with_the_same_tex_tokens(formula):
    tok = LatexTokenizer()
    tok.train([formula])
    decoded = tok.decode(tok.encode(formula))
    assert decoded == tok.normalize(formula)
    assert lex(decoded) == lex(formula)
    assert normal_form(decoded) == decoded


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_lexes_and_normalises_idempotently(text):
    tokens = lex(text)
    assert lex(normal_form(text)) == tokens
    assert normal_form(normal_form(text)) == normal_form(text)


# ---- validator and metrics ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "problem"),
    [
        (r"\frac{a}{b", "'{' is not closed"),
        (r"a}", "closes nothing"),
        (r"\left( x", r"\left( is not closed"),
        (r"x \right)", "no matching \\left"),
        (r"\left x \right)", "must be followed by a delimiter"),
        (r"\begin{array}{c} x \end{matrix}", r"\begin{array} is not closed before \end{matrix}"),
        (r"\begin{foo} x \end{foo}", "unknown environment {foo}"),
        (r"\fracc{a}{b}", r"unknown command \fracc"),
        (r"x^", "has no argument"),
        (r"x^a^b", "double superscript"),
        (r"\frac{a}", r"\frac at token 1 needs 2 argument(s)"),
        ("", "empty formula"),
    ],
    ids=["brace", "extra-brace", "left", "right", "left-delim", "env-mismatch", "env-unknown", "command", "script",
         "double-script", "arity", "empty"],
)
def test_validator_names_the_problem(formula, problem):
    assert problem in (validate(formula, renderer=False) or "")


@pytest.mark.parametrize("formula", [*EXAMPLES, r"\frac12", r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
                                     r"\hspace{1cm} x", r"\operatorname*{lim} x"])
def test_valid_formulas_pass_with_and_without_the_renderer(formula):
    assert validate(formula, renderer=False) is None
    assert validate(formula) is None


def test_validator_works_without_matplotlib(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert validate(r"\frac{a}{b}") is None
    assert "not closed" in validate(r"\frac{a}{b")
    with pytest.raises(ImportError, match="pip install matplotlib"):
        validate("x", renderer=True)


def test_metrics_on_generated_samples():
    result = metrics([r"\frac{a}{b}", r"\frac {a} {b}", r"x^", r"\alpha"], reference=[r"\alpha"])
    assert result["valid_fraction"] == 0.75 and result["structurally_valid_fraction"] == 0.75
    assert result["unique_fraction"] == 0.75 and result["novel_fraction"] == 0.75
    assert metrics([])["valid_fraction"] == 0.0


def test_domain_parse_strips_one_pair_of_delimiters():
    latex = polyseq.get_domain("latex")
    assert latex.parse_text(r"$\frac{a}{b}$") == r"\frac{a}{b}"
    assert latex.parse_text(r"\[x\]") == "x"
    assert latex.parse_text(r"$a$ and $b$") == r"$a$ and $b$"
    tok = latex.make_tokenizer()
    assert tok.tokens(latex.parse_text(r"\frac{a}{b}")) == ["\\frac", "{", "a", "}", "{", "b", "}"]
