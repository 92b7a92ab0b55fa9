"""The code domain: conformance kit, the Pygments+BPE tokenizer, round trips on real Python files."""

from __future__ import annotations

import pickle
import sysconfig
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyseq import ConfigError, PolyseqError, get_domain
from polyseq.testing import DomainChecks
from polyseq.tokenizers.base import N_SPECIAL, SKIPPED_ON_DECODE, SPECIAL_IDS
from polyseq_code.examples import EXAMPLES, SNIPPETS
from polyseq_code.lexers import SourceCode, lex, make_lexer
from polyseq_code.tokenizers import PygmentsBPETokenizer


class TestConformance(DomainChecks):
    domain = "code"

    @pytest.fixture
    def invalid_sample(self):
        return "def broken(:\n    return 1\n"


def _stdlib_files(n: int, max_bytes: int = 40_000) -> list[tuple[Path, bytes]]:
    """`n` UTF-8 files of the running Python's standard library, spread over it, deterministic."""
    root = Path(sysconfig.get_paths()["stdlib"])
    candidates = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
    chosen: list[tuple[Path, bytes]] = []
    step = max(1, len(candidates) // (n * 3))
    for p in candidates[::step]:
        data = p.read_bytes()
        if 0 < len(data) <= max_bytes:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            chosen.append((p, data))
        if len(chosen) == n:
            break
    assert len(chosen) == n, f"only {len(chosen)} usable files under {root}"
    return chosen


@pytest.fixture(scope="module")
def stdlib_files():
    return _stdlib_files(30)


@pytest.fixture(scope="module")
def trained(stdlib_files):
    tok = PygmentsBPETokenizer(vocab_size=2000, max_lexemes=200)
    tok.train([data.decode("utf-8") for _, data in stdlib_files[:10]])
    return tok


def test_stdlib_files_round_trip_byte_for_byte(trained, stdlib_files):
    """`polyseq tokenize --domain code --file F --check` does this: read F, encode, decode, compare."""
    domain = get_domain("code")
    for path, data in stdlib_files:
        (record,) = domain.read(path)
        assert record.sample.encode("utf-8") == data, f"{path}: the reader changed the file's text"
        ids = trained.encode(record.sample)
        assert trained.decode(ids).encode("utf-8") == data, f"{path}: decode(encode(text)) differs from the file"
    assert ids == _reference_ids(trained, record.sample)


def test_crlf_and_mixed_line_ends_round_trip_and_lex_like_lf(trained):
    lf = "def f(x):\n    # note\n    return x\n"
    for text in (lf.replace("\n", "\r\n"), "a = 1\r\nb = 2\nc = '\r'\r\n\r", "\r\n\r\n", "x\r"):
        assert trained.decode(trained.encode(text)) == text
    crlf_types = [t for _, t, _ in lex(lf.replace("\n", "\r\n"), make_lexer("python"))]
    assert crlf_types == [t for _, t, _ in lex(lf, make_lexer("python"))], "\\r\\n must lex like \\n"


def test_lex_is_lossless_for_every_snippet_language():
    for alias, code in SNIPPETS.items():
        for text in (code, code.replace("\n", "\r\n"), code.rstrip("\n"), "\ufeff" + code):
            triples = lex(text, make_lexer(alias))
            assert "".join(v for _, _, v in triples) == text, alias
            assert all(text[pos:].startswith(v) for pos, _, v in triples), f"{alias}: wrong positions"


def test_readable_tokens_carry_lexer_types(trained):
    shown = trained.tokens("def f(x):\n    return x\n")
    assert shown[:4] == ["Keyword:def", "Whitespace:·", "Name.Function:f", "Punctuation:("], shown
    assert "Keyword:return" in shown and "Whitespace:\\n····" in shown
    assert len(shown) == len(trained.encode("def f(x):\n    return x\n"))
    assert trained.id_to_token(SPECIAL_IDS["pad"]) == "<pad>"
    assert trained.id_to_token(trained.encode(" ")[0]) == "Whitespace:·"
    assert [trained.id_to_token(i) for i in trained.hf.encode("  ").ids] == ["··"]  # a BPE piece of spaces


def test_keywords_and_indents_are_single_typed_ids(trained):
    n_hf = trained.vocab_size - len(trained.lexemes)
    for cls, text in [("Keyword", "def"), ("Keyword", "return"), ("Operator", "=="), ("Whitespace", "\n    ")]:
        (i,) = [n_hf + j for j, key in enumerate(trained.lexemes) if key == (cls, text)]
        assert trained.decode([i]) == text
    assert len(trained.lexemes) <= 200 and trained.vocab_size <= 2000


def test_unknown_symbols_round_trip_through_bytes(trained):
    text = "s = '\u2603 \U0001f9ec \u0416 \x07 \ufffd'  # \u65e5\u672c\n"
    ids = trained.encode(text)
    assert trained.decode(ids) == text and SPECIAL_IDS["unk"] not in ids


def test_special_token_names_in_source_are_text(trained):
    text = "html = '<pad><unk><bos>'  # <mask>\n"
    ids = trained.encode(text)
    assert trained.decode(ids) == text and not set(ids) & set(SPECIAL_IDS.values())


def test_lone_surrogate_is_a_clear_error(trained):
    with pytest.raises(PolyseqError, match=r"lone surrogate '\\udc80'"):
        trained.encode("x = '\udc80'\n")


def test_decode_of_generated_ids_never_fails(trained):
    assert trained.decode([SPECIAL_IDS["unk"]]) == "\ufffd"
    assert trained.decode([10_000_000, -3]) == "\ufffd\ufffd"
    lone_continuation_byte = next(i for i in range(N_SPECIAL, 300) if trained.decode([i]) == "\ufffd")
    assert trained.decode([lone_continuation_byte]) == "\ufffd"


def test_language_option_accepts_names_aliases_and_suffixes():
    for value in ("python", "Python", "py", ".py"):
        assert PygmentsBPETokenizer(language=value).language == "python"
    assert PygmentsBPETokenizer(language="C++").language == PygmentsBPETokenizer(language=".cpp").language == "cpp"
    assert PygmentsBPETokenizer(language="R").language == "splus"


def test_bad_options_name_the_option_the_rule_and_the_value():
    with pytest.raises(ConfigError, match=r"language='pyhton'.*Close matches: python"):
        PygmentsBPETokenizer(language="pyhton")
    with pytest.raises(ConfigError, match=r"vocab_size must be >= 263.*got 100"):
        PygmentsBPETokenizer(vocab_size=100, max_lexemes=0)
    with pytest.raises(ConfigError) as info:
        PygmentsBPETokenizer(max_lexemes=-1, min_frequency=0)
    assert len(info.value.problems) == 2, info.value.problems
    with pytest.raises(ConfigError, match="unknown option"):
        get_domain("code").make_tokenizer("pygments", vocab=10)


def test_bpe_training_batches_stay_small_however_often_a_lexeme_occurs():
    from collections import Counter

    from polyseq_code.tokenizers import _batches

    counts = Counter({"x": 100_003, "    ": 5, "print": 4_096})  # 'x' as often as in a large corpus
    batches = list(_batches(counts, size=4096))
    assert max(len(b) for b in batches) <= 4096  # one list of 100,003 'x' before
    assert Counter(t for b in batches for t in b) == counts  # every occurrence still reaches HF's trainer


def test_untrained_tokenizer_says_what_to_do():
    with pytest.raises(PolyseqError, match=r"call train"):
        PygmentsBPETokenizer().encode("x = 1")
    with pytest.raises(PolyseqError, match="string"):
        _trained_on_examples().encode(b"x = 1")


def _trained_on_examples(**options):
    tok = PygmentsBPETokenizer(vocab_size=600, max_lexemes=40, **options)
    tok.train(list(EXAMPLES) + [SourceCode(code, alias) for alias, code in SNIPPETS.items()])
    return tok


def test_auto_language_lexes_each_sample_in_its_own_language():
    auto, fixed = _trained_on_examples(language="auto"), _trained_on_examples()
    go = SourceCode(SNIPPETS["go"], "Go")
    assert "Keyword:func" in auto.tokens(go)
    assert "Keyword:func" not in fixed.tokens(go)  # a fixed language ignores what the sample carries
    assert auto.decode(auto.encode(go)) == go == fixed.decode(fixed.encode(go))
    assert auto.tokens(str(go)) != auto.tokens(go)  # a plain string is lexed as Python


def test_source_code_is_a_string_that_keeps_its_language_through_pickle():
    s = SourceCode("x = 1\n", "Python")
    assert s == "x = 1\n" and hash(s) == hash("x = 1\n") and isinstance(s, str)
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.language == "Python"


# ---- hypothesis: generated source-like text ------------------------------------------------------

_atoms = st.sampled_from(
    ["def", "return", "if", "else", "for", "in", "class", "import", "(", ")", ":", ",", "=", "==", "+", "->",
     "[", "]", "{", "}", "'", '"', '"""', "#", "\\", "@", ";", "0x1F", "3.14", "1e-9", "self", "_x1",
     "snake_case", "CamelCase", "\u00e9t\u00e9", "\u2603", "\U0001f9ec", "\t", "  ", "    ", "\n", "\r\n", "\r", "<unk>", "<pad>", "<eos>"]
)
_source_like = st.lists(st.one_of(_atoms, st.text(max_size=6)), max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_source_like, language=st.sampled_from(["python", "c", "go", "rust", "javascript", "ruby"]))
def test_round_trip_any_source_like_text(text, language):
    tok = _TRAINED[language]
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert ids == _reference_ids(tok, text), "the fused, cached encode loop must equal the plain definition"
    assert all(0 <= i < tok.vocab_size and i not in SKIPPED_ON_DECODE for i in ids)
    assert len(tok.tokens(text)) == len(ids)


def _reference_ids(tok, text):
    ids = []
    for cls, _, value in tok._lexemes(text):
        i = tok._lexeme_id.get((cls, value)) if cls is not None else None
        ids += [i] if i is not None else tok.hf.encode(value).ids
    return ids


@settings(max_examples=50, deadline=None)
@given(st.lists(_source_like, min_size=1, max_size=8))
def test_round_trip_on_its_own_training_text_and_after_reload(texts):
    tok = PygmentsBPETokenizer(vocab_size=400, max_lexemes=20, min_frequency=1)
    tok.train(texts)
    again = PygmentsBPETokenizer.from_config(tok.to_config())
    for t in texts:
        assert tok.decode(tok.encode(t)) == t
        assert again.encode(t) == tok.encode(t)


_TRAINED = {lang: _trained_on_examples(language=lang) for lang in ["python", "c", "go", "rust", "javascript", "ruby"]}
