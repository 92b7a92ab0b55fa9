"""The conformance kit run over the core's own cross-domain tokenizers, plus their specifics."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyseq.testing import TokenizerChecks, prepare_tokenizer
from polyseq.tokenizers.bytes import ByteTokenizer
from polyseq.tokenizers.char import CharTokenizer
from polyseq import ConfigError
from polyseq.tokenizers.base import UNK_ID

SAMPLES = ["Hello, world!", "naïve café – 北京", "line one\nline two\r\n\ttabbed", "a", "🧬 ACGT"]


class TestBytes(TokenizerChecks):
    @pytest.fixture
    def samples(self):
        return SAMPLES

    @pytest.fixture
    def tokenizer(self):
        return ByteTokenizer()


class TestChar(TokenizerChecks):
    @pytest.fixture
    def samples(self):
        return SAMPLES

    @pytest.fixture
    def tokenizer(self, samples):
        return prepare_tokenizer(CharTokenizer(), samples)


@given(st.text())
def test_bytes_round_trip_any_text(text):
    tok = ByteTokenizer()
    assert tok.decode(tok.encode(text)) == text


@given(st.lists(st.text(min_size=1), min_size=1))
def test_char_round_trip_on_its_training_text(texts):
    tok = CharTokenizer()
    tok.train(texts)
    for t in texts:
        assert tok.decode(tok.encode(t)) == t


def test_char_vocab_cap_keeps_most_frequent_and_maps_rest_to_unk():
    tok = CharTokenizer(vocab_size=7 + 2, fallback="unk")
    tok.train(["aaab", "aab", "abc"])
    assert tok.vocab_size == 9
    assert tok.tokens("ab") == ["a", "b"]
    assert tok.encode("c") == [UNK_ID]
    assert tok.decode(tok.encode("abc")) == "ab\ufffd"


def test_char_is_lossless_by_default_and_a_capped_vocabulary_falls_back_to_bytes():
    tok = CharTokenizer(vocab_size=7 + 256 + 2)
    tok.train(["aaab", "aab", "abc"])
    assert tok.vocab_size == 7 + 256 + 2 and tok.tokens("ab") == ["a", "b"]
    assert tok.tokens("c\u00e9") == ["<0x63>", "<0xC3>", "<0xA9>"]
    assert tok.decode(tok.encode("abc\u00e9\U0001f9ec")) == "abc\u00e9\U0001f9ec"
    with pytest.raises(ConfigError, match="fallback='unk'"):
        CharTokenizer(vocab_size=64)


def test_untrained_char_tokenizer_says_what_to_do():
    from polyseq import PolyseqError

    with pytest.raises(PolyseqError, match="call train"):
        CharTokenizer().encode("x")
