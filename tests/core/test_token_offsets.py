"""Token offsets of the core's tokenizers (bytes, char, SymbolBPE), `token_offsets`, and the kit's offsets check."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyseq.errors import ConfigError
from polyseq.testing import TokenizerChecks, covered_text
from polyseq.tokenizers import token_offsets
from polyseq.tokenizers.base import N_SPECIAL, UNK_ID, TokenizerWithOffsets
from polyseq.tokenizers.bytes import ByteTokenizer
from polyseq.tokenizers.char import CharTokenizer
from polyseq.tokenizers.offsets import offset_problems
from polyseq.tokenizers.subword import SymbolBPE

CORPUS = ["Hello, world!", "naïve café – 北京", "line one\nline two\r\n\ttabbed", "🧬 ACGT"]


@given(st.text())
def test_bytes_offsets_give_each_byte_its_characters_span(text):
    tok = ByteTokenizer()
    ids, spans = tok.encode_with_offsets(text)
    assert ids == tok.encode(text)
    assert offset_problems(len(text), ids, spans) == []
    assert covered_text(text, spans) == text
    for (s, e), i in zip(spans, ids):
        assert e == s + 1 and (i - N_SPECIAL) in text[s].encode("utf-8")


@pytest.fixture(scope="module")
def char_tok():
    tok = CharTokenizer()
    tok.train(CORPUS)
    return tok


@given(st.text())
def test_char_offsets_are_one_character_each_unknown_ones_included(char_tok, text):
    ids, spans = char_tok.encode_with_offsets(text)
    assert ids == char_tok.encode(text)
    assert offset_problems(len(text), ids, spans) == []
    # an unknown character is its UTF-8 bytes, every one spanning the character
    expected = [(j, j + 1) for j, c in enumerate(text)
                for _ in range(1 if c in char_tok.vocab_symbols() else len(c.encode("utf-8", "surrogatepass")))]
    assert spans == expected
    assert covered_text(text, spans) == text


@pytest.fixture(scope="module")
def symbol_bpe():
    rows = [[N_SPECIAL + (j * j + r) % 5 for j in range(40)] for r in range(30)]
    return SymbolBPE.train(rows, n_base=N_SPECIAL + 5, vocab_size=40, min_frequency=1)


@given(st.lists(st.sampled_from([UNK_ID, *range(N_SPECIAL, N_SPECIAL + 5)]), max_size=60))
def test_symbol_bpe_offsets_are_the_base_symbols_each_merged_id_stands_for(symbol_bpe, base):
    ids, spans = symbol_bpe.encode_with_offsets(base)
    assert ids == symbol_bpe.encode(base)
    assert offset_problems(len(base), ids, spans) == []
    assert [s for s, _ in spans] + [len(base)] == [0] + [e for _, e in spans]  # a partition of the base ids
    for i, (s, e) in zip(ids, spans):
        assert (base[s:e] == [UNK_ID]) if i == UNK_ID else list(symbol_bpe.pieces(i)) == base[s:e]


def test_token_offsets_returns_ids_and_spans(char_tok):
    assert token_offsets(char_tok, "Hi") == (char_tok.encode("Hi"), [(0, 1), (1, 2)])
    assert isinstance(char_tok, TokenizerWithOffsets)


class NoOffsets(CharTokenizer):
    type_name = "test.no_offsets"
    encode_with_offsets = None  # as a tokenizer that leaves the method out


def test_token_offsets_names_a_tokenizer_without_them():
    with pytest.raises(ConfigError, match=r"tokenizer 'test.no_offsets' gives no token offsets "
                                          r"\(encode_with_offsets\); the tag task needs them"):
        token_offsets(NoOffsets(chars="ab"), "ab")


@pytest.mark.parametrize(
    ("n", "ids", "spans", "problem"),
    [
        (2, [7, 8], [(0, 1)], "1 spans for 2 ids"),
        (2, [7], [[0, 1]], "not a (start, end) tuple of int"),
        (2, [7], [(1, 3)], "not within 0 <= start <= end <= 2"),
        (2, [7], [(1, 0)], "not within"),
        (3, [7, 8], [(1, 2), (0, 1)], "starts before an earlier span (1)"),
    ],
    ids=["count", "type", "past-end", "reversed", "decreasing"],
)
def test_offset_problems_names_each_broken_rule(n, ids, spans, problem):
    assert problem in " ".join(offset_problems(n, ids, spans))


def test_covered_text_counts_repeated_spans_once_and_rejects_overlaps():
    assert covered_text("aé b", [(0, 1), (1, 2), (1, 2), (3, 4)]) == "aéb"
    with pytest.raises(AssertionError, match="overlaps"):
        covered_text("abc", [(0, 2), (1, 3)])


class ShiftedSpans(CharTokenizer):
    type_name = "test.shifted"

    def encode_with_offsets(self, sample):
        ids, spans = super().encode_with_offsets(sample)
        return ids, [(s + 1, e + 1) for s, e in spans]


class ExtraId(CharTokenizer):
    type_name = "test.extra_id"

    def encode_with_offsets(self, sample):
        ids, spans = super().encode_with_offsets(sample)
        return [*ids, UNK_ID], [*spans, (len(sample), len(sample))]


class CanonicalOnly(CharTokenizer):
    type_name = "test.canonical"

    def encode_with_offsets(self, sample):
        raise ConfigError("test.canonical with canonical=True gives no token offsets")


@pytest.mark.parametrize(
    ("tok", "message"),
    [(ShiftedSpans(chars="ab"), "test.shifted: bad offsets for sample #0 'ab': ['span #1 (2, 3) is not within"),
     (ExtraId(chars="ab"), "test.extra_id: encode_with_offsets gave ids [263, 264, 1] for sample #0, encode gave [263, 264]")],
    ids=["spans", "ids"],
)
def test_kit_offsets_check_says_what_broke(tok, message):
    with pytest.raises(AssertionError) as info:
        TokenizerChecks().test_offsets(tok, ["ab"])
    assert message in str(info.value)


@pytest.mark.parametrize("tok", [CharTokenizer(chars="ab"), NoOffsets(chars="ab"), CanonicalOnly(chars="ab")],
                         ids=["offsets", "none", "ruled-out-by-options"])
def test_kit_offsets_check_passes_good_absent_and_declined_offsets(tok):
    TokenizerChecks().test_offsets(tok, ["ab", "ba", ""])

