"""Token offsets of the text tokenizers, which are HF's `Encoding.offsets` (Unigram's prepended "▁" mended)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyseq.testing import covered_text
from polyseq.tokenizers.offsets import offset_problems
from polyseq_text.tokenizers import BPETokenizer, UnigramTokenizer, WordPieceTokenizer, WordTokenizer

CORPUS = [
    "It was the best of times, it was the worst of times.",
    "it was the age of wisdom, it was the age of foolishness...",
    "Naïve café – 北京 🧬 tabs\tand\nnewlines  double  spaces",
    "<pad> and <unk> typed in a text are text, not special tokens",
]
TEXTS = st.one_of(
    st.text(max_size=25),
    st.text(alphabet="It was the best of times, ïé北🧬İẞﬁ\u2581\t\n<pad>", max_size=40),
)
TOKENIZERS = {
    "word": lambda: WordTokenizer(),
    "word-lowercase": lambda: WordTokenizer(lowercase=True),
    "bpe": lambda: BPETokenizer(vocab_size=300),
    "wordpiece-lowercase": lambda: WordPieceTokenizer(vocab_size=120, lowercase=True, min_frequency=1),
    "unigram": lambda: UnigramTokenizer(vocab_size=100),
}


def trained(name):
    tok = TOKENIZERS[name]()
    tok.train(CORPUS)
    return tok


@pytest.fixture(scope="module", params=list(TOKENIZERS), ids=list(TOKENIZERS))
def tok(request):
    return trained(request.param)


@given(sample=TEXTS)
def test_offsets_are_valid_and_cover_all_but_dropped_whitespace(tok, sample):
    ids, spans = tok.encode_with_offsets(sample)
    assert ids == tok.encode(sample)
    assert offset_problems(len(sample), ids, spans) == []
    if not isinstance(tok, BPETokenizer):  # byte-level merges may split a character between two tokens
        covered_text(sample, spans)  # distinct spans never overlap
    covered = set().union(*(range(s, e) for s, e in spans))
    dropped = [sample[j] for j in range(len(sample)) if j not in covered]
    if isinstance(tok, (BPETokenizer, UnigramTokenizer)):
        assert dropped == []
    else:
        assert all(c.isspace() for c in dropped), dropped


@pytest.fixture(scope="module")
def bpe():
    return trained("bpe")


@given(sample=TEXTS)
def test_byte_level_bpe_spans_are_the_characters_of_each_tokens_bytes(bpe, sample):
    tok = bpe
    ids, spans = tok.encode_with_offsets(sample)
    char_of_byte = [j for j, c in enumerate(sample) for _ in c.encode("utf-8")]
    at = 0
    for i, span in zip(ids, spans):
        n_bytes = len(tok.hf.id_to_token(i))  # one ByteLevel character per byte
        assert span == (char_of_byte[at], char_of_byte[at + n_bytes - 1] + 1)
        at += n_bytes
    assert at == len(char_of_byte)


def test_byte_level_tokens_share_a_character_a_merge_split():
    tok = BPETokenizer(vocab_size=264, min_frequency=1)
    tok.train(["éx ĩx ũx ǩx"] * 20)  # the shared last byte of é ĩ ũ ǩ merges with x first
    ids, spans = tok.encode_with_offsets("éx")
    assert [tok.hf.id_to_token(i) for i in ids] == ["Ã", "©x"] and spans == [(0, 1), (0, 2)]


def test_unigram_prepended_metaspace_covers_nothing():
    tok = trained("unigram")
    ids, spans = tok.encode_with_offsets("Naïve")
    assert [tok.id_to_token(i) for i in ids][:1] == ["\u2581"] and spans[:2] == [(0, 0), (0, 1)]
    ids, spans = tok.encode_with_offsets(" x")
    assert tok.id_to_token(ids[0]) == "\u2581" and spans[0] == (0, 1)  # the sample's own space


def test_word_offsets_skip_whitespace_and_keep_punctuation_apart():
    tok = trained("word-lowercase")
    assert tok.encode_with_offsets("It  was,\tthe")[1] == [(0, 2), (4, 7), (7, 8), (9, 12)]

