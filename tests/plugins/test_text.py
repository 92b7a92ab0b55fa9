"""The text domain: conformance kit, tokenizer specifics and round-trip properties."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polyseq
from polyseq import ConfigError, PolyseqError
from polyseq.testing import DomainChecks
from polyseq.tokenizers.base import SPECIAL_TOKENS, UNK_ID
from polyseq.tokenizers.subword import check_special_ids

from polyseq_text.hf import byte_level_text
from polyseq_text.tokenizers import BPETokenizer, UnigramTokenizer, WordPieceTokenizer, WordTokenizer

CORPUS = [
    "It was the best of times, it was the worst of times.",
    "it was the age of wisdom, it was the age of foolishness...",
    "Naïve café – 北京 🧬 tabs\tand\nnewlines  double  spaces",
    "<pad> and <unk> typed in a text are text, not special tokens",
]
LEARNED = [WordTokenizer, BPETokenizer, WordPieceTokenizer, UnigramTokenizer]


class TestConformance(DomainChecks):
    domain = "text"


def trained(cls, **options):
    tok = cls(**options)
    tok.train(CORPUS)
    return tok


@pytest.fixture(scope="module")
def bpe():
    return trained(BPETokenizer, vocab_size=300)


def test_domain_is_registered_with_its_parts():
    d = polyseq.get_domain("text")
    assert list(d.tokenizers) == ["char", "word", "bpe", "wordpiece", "unigram"]
    assert d.default_tokenizer == "bpe"
    assert sorted(d.readers) == [".csv", ".jsonl", ".tsv", ".txt"]


@pytest.mark.parametrize("cls", LEARNED, ids=lambda c: c.type_name)
def test_special_tokens_keep_fixed_ids_after_training(cls):
    tok = trained(cls)
    check_special_ids(tok.hf, cls.type_name)
    assert [tok.id_to_token(i) for i in range(7)] == list(SPECIAL_TOKENS)


@pytest.mark.parametrize("cls", LEARNED, ids=lambda c: c.type_name)
def test_literal_special_token_text_is_not_a_special_id(cls):
    tok = trained(cls)
    ids = tok.encode("<pad> <mask>")
    assert not {0, 2, 3, 4, 5, 6} & set(ids)


SPECIAL_TEXT = "it was <pad> the <mask> age <eos>"
NO_SPECIAL_IDS = set(range(7)) - {UNK_ID}


@pytest.mark.parametrize("cls", LEARNED, ids=lambda c: c.type_name)
def test_typed_special_token_text_is_text_even_where_its_characters_are_unseen(cls):
    # regression: trained without "<" and ">", unigram's lattice chose the <pad> piece ('a <pad> b' -> [.., 0, ..])
    for corpus in (CORPUS, CORPUS[:2]):
        tok = cls(**({"min_frequency": 1} if cls is not UnigramTokenizer else {}))
        tok.train(corpus)
        ids = tok.encode(SPECIAL_TEXT)
        assert not NO_SPECIAL_IDS & set(ids), (corpus, ids)
        if corpus is CORPUS and cls is not WordTokenizer:  # every character known: the text comes back
            assert tok.decode(ids) == tok.normalize(SPECIAL_TEXT)


def test_unigram_decodes_typed_special_token_text_as_text():
    tok = trained(UnigramTokenizer, vocab_size=100)
    assert tok.decode(tok.encode("a <pad> b <eos>")) == "a <pad> b <eos>"


@pytest.mark.parametrize(("cls", "options"), [(WordTokenizer, {"split_punctuation": False}), (UnigramTokenizer, {})],
                         ids=["word-whole", "unigram"])
def test_special_token_text_in_the_training_corpus_keeps_the_special_ids(cls, options):
    # HF's trainers learn "<pad>" as content too; kept, it took id 0's entry (training failed on the check)
    tok = cls(**options)
    tok.train(["x <pad> y <mask> z <eos>", "<pad><pad> <unk> hello"] * 20 + ["a b c"])
    check_special_ids(tok.hf, cls.type_name)
    assert [tok.id_to_token(i) for i in range(7)] == list(SPECIAL_TOKENS)
    assert all(tok.id_to_token(i) not in SPECIAL_TOKENS for i in range(7, tok.vocab_size))
    ids = tok.encode("x <pad> y")
    assert not NO_SPECIAL_IDS & set(ids)
    if cls is UnigramTokenizer:
        assert tok.decode(ids) == "x <pad> y"
    else:  # a whole word spelled like a special token cannot be a word of its own
        assert ids == [tok.encode("x")[0], UNK_ID, tok.encode("y")[0]]


@pytest.mark.parametrize("cls", [WordTokenizer, UnigramTokenizer], ids=lambda c: c.type_name)
def test_ordinary_text_encodes_as_hf_encodes_the_saved_model(cls):
    # tokenizers saved before special-token text was hidden from the model (unigram's special pieces then
    # scored -1e9) load and encode ordinary text exactly as HF's own model of their JSON does
    from tokenizers import Tokenizer as HFTokenizer

    tok = trained(cls)
    config = json.loads(tok.to_config()["hf_tokenizer"])
    if cls is UnigramTokenizer:
        for piece in config["model"]["vocab"][:7]:
            piece[1] = -1e9
    loaded = cls.from_config({**tok.to_config(), "hf_tokenizer": json.dumps(config)})
    hf = HFTokenizer.from_str(json.dumps(config))
    for text in [*CORPUS[:3], "it was the best", "  leading spaces", "unseen \u2603 chars ZQ", ""]:
        assert loaded.encode(text) == hf.encode(text, add_special_tokens=False).ids, text


@pytest.mark.parametrize("cls", LEARNED, ids=lambda c: c.type_name)
def test_untrained_tokenizer_says_what_to_do(cls):
    with pytest.raises(PolyseqError, match="call train"):
        cls().encode("hello")


@pytest.mark.parametrize("cls", LEARNED, ids=lambda c: c.type_name)
def test_round_trip_to_normal_form_on_training_text(cls):
    tok = trained(cls)
    for text in CORPUS:
        assert tok.decode(tok.encode(text)) == tok.normalize(text)


@pytest.mark.parametrize(
    ("options", "option"),
    [({"vocab_size": 3}, "vocab_size"), ({"min_frequency": 0}, "min_frequency"), ({"lowercase": "yes"}, "lowercase")],
    ids=["vocab_size", "min_frequency", "lowercase"],
)
def test_bad_word_options_name_the_option_and_value(options, option):
    with pytest.raises(ConfigError, match=option) as info:
        WordTokenizer(**options)
    assert repr(next(iter(options.values()))) in str(info.value)


def test_bpe_vocab_size_must_hold_all_bytes():
    with pytest.raises(ConfigError, match=r"vocab_size must be an integer >= 263, got 100"):
        BPETokenizer(vocab_size=100)
    with pytest.raises(ConfigError, match="vocab_size"):
        BPETokenizer().train(CORPUS, vocab_size=10)


def test_word_tokenizer_caps_vocab_lowercases_and_splits_punctuation():
    tok = WordTokenizer(vocab_size=7 + 5, lowercase=True)
    tok.train(["The cat, the cat; the dog!", "THE CAT sat."])
    assert tok.vocab_size == 12
    assert tok.tokens("The CAT,") == ["the", "cat", ","]
    assert tok.encode("zebra") == [UNK_ID]
    assert tok.decode(tok.encode("the zebra")) == "the \ufffd"


def test_word_decode_is_whitespace_normalised_and_normalize_says_so():
    tok = WordTokenizer()
    tok.train(["Hello, world!  Bye\tnow"])
    text = "Hello,   world!\n Bye\tnow"
    assert tok.normalize(text) == "Hello , world ! Bye now"
    assert tok.decode(tok.encode(text)) == tok.normalize(text)
    assert tok.normalize(tok.normalize(text)) == tok.normalize(text)


def test_word_without_punctuation_split_keeps_words_whole():
    tok = WordTokenizer(split_punctuation=False)
    tok.train(["Hello, world!"])
    assert tok.tokens("Hello, world!") == ["Hello,", "world!"]


def test_wordpiece_splits_unseen_words_into_known_pieces():
    tok = WordPieceTokenizer(vocab_size=200, min_frequency=1)
    tok.train(["playing played player plays,", "running runner runs"])
    pieces = tok.tokens("player")
    assert "".join(p.removeprefix("##") for p in pieces) == "player"
    assert tok.decode(tok.encode("plays, runs")) == "plays , runs"


def test_unigram_normal_form_drops_one_leading_space():
    tok = trained(UnigramTokenizer, vocab_size=100)
    assert tok.normalize("  it was") == " it was"
    assert tok.decode(tok.encode("  it was")) == " it was"


def test_unknown_id_decodes_to_replacement_character(bpe):
    ids = bpe.encode("it was")
    assert bpe.decode([*ids, UNK_ID, 10_000]) == "it was\ufffd\ufffd"
    assert byte_level_text("\ufffd") == "ï¿½"


def test_encode_batch_uses_the_same_ids_as_encode(bpe):
    texts = CORPUS * 3
    assert bpe.encode_batch(texts) == [bpe.encode(t) for t in texts]
    with pytest.raises(PolyseqError, match="encodes strings"):
        bpe.encode_batch(["ok", 3])


def test_saved_tokenizer_reloads_and_keeps_literal_specials_as_text(bpe, tmp_path):
    path = tmp_path / "bpe.json"
    bpe.save(path)
    loaded = polyseq.load_tokenizer(path)
    assert isinstance(loaded, BPETokenizer)
    assert loaded.encode("<pad>") == bpe.encode("<pad>") != [0]
    config = json.loads(path.read_text())["config"]
    assert set(config) == {"vocab_size", "min_frequency", "hf_tokenizer"}


def test_default_tokenizer_is_bpe_and_make_tokenizer_passes_options():
    tok = polyseq.get_domain("text").make_tokenizer(vocab_size=400)
    assert isinstance(tok, BPETokenizer) and tok.vocab_size_option == 400


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_bpe_round_trips_any_unicode_text(bpe, text):
    assert bpe.decode(bpe.encode(text)) == text


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(min_size=1), min_size=1, max_size=5), st.text())
def test_bpe_trained_on_any_text_round_trips_any_text(texts, other):
    tok = BPETokenizer(vocab_size=300, min_frequency=1)
    tok.train(texts)
    for t in [*texts, other]:
        assert tok.decode(tok.encode(t)) == t


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1), min_size=1, max_size=5))
def test_char_round_trips_any_unicode_text_it_was_trained_on(texts):
    tok = polyseq.get_domain("text").make_tokenizer("char")
    tok.train(texts)
    for t in texts:
        assert tok.decode(tok.encode(t)) == t


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1))
def test_char_maps_unseen_characters_to_unk_not_to_others(text):
    tok = polyseq.get_domain("text").make_tokenizer("char", chars=["a"], fallback="unk")  # default: UTF-8 bytes
    ids = tok.encode(text)
    assert len(ids) == len(text)
    assert all(i == UNK_ID or c == "a" for i, c in zip(ids, text))
