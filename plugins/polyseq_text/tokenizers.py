"""Tokenizers of natural-language text: words, and subwords learned with Hugging Face `tokenizers`.

`char` is the core's `CharTokenizer`; the classes here are the learned vocabularies. All keep
polyseq's special tokens at ids 0..6 (checked after every training and load) and never emit them
from `encode`: a literal "<pad>" in a text is encoded as text.
"""

from __future__ import annotations

from typing import Any, ClassVar

from polyseq import N_SPECIAL, SPECIAL_TOKENS, UNK_ID, Span

from polyseq_text.hf import HFTokenizerMixin, byte_level_text, check_bool, check_int

_UNK = SPECIAL_TOKENS[UNK_ID]


class WordTokenizer(HFTokenizerMixin):
    """Whole words with a capped vocabulary, as in word-level neural LMs (Bengio et al. 2003,
    Mikolov et al. 2010), punctuation split off as BERT's BasicTokenizer does (Devlin et al. 2019).

    Pre-tokenisation: split at whitespace, then (``split_punctuation=True``) every punctuation
    character becomes a token of its own; ``lowercase=True`` lower-cases first. The
    ``vocab_size`` most frequent words (special tokens included) with at least ``min_frequency``
    occurrences are kept; other words encode to <unk>.

    Decoding joins tokens with one space, so the round trip holds up to whitespace normalisation:
    ``normalize("Hello,  world!") == "Hello , world !"`` - words separated by single spaces,
    punctuation surrounded by spaces, lower-cased when ``lowercase``. Where polyseq differs:
    HF's WordLevel model and trainer do the work; no accent stripping or CJK splitting. A word
    spelled like a special token ("<pad>", only possible with ``split_punctuation=False``) is <unk>:
    its text is the special token's entry in the vocabulary, so it cannot be a word of its own.
    """

    type_name: ClassVar[str] = "text.word"
    _model_matches_specials: ClassVar[bool] = True  # a word is looked up whole: "<pad>" would be id 0

    def __init__(
        self, vocab_size: int = 30000, min_frequency: int = 1, lowercase: bool = False, split_punctuation: bool = True
    ):
        self.vocab_size_option = check_int("vocab_size", vocab_size, N_SPECIAL + 1)
        self.min_frequency = check_int("min_frequency", min_frequency, 1)
        self.lowercase = check_bool("lowercase", lowercase)
        self.split_punctuation = check_bool("split_punctuation", split_punctuation)
        self._set_hf(self._pipeline())

    def _pipeline(self) -> Any:
        from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

        hf = Tokenizer(models.WordLevel(unk_token=_UNK))
        if self.lowercase:
            hf.normalizer = normalizers.Lowercase()
        steps = [pre_tokenizers.WhitespaceSplit()]
        if self.split_punctuation:
            steps.append(pre_tokenizers.Punctuation("isolated"))
        hf.pre_tokenizer = pre_tokenizers.Sequence(steps)
        return hf  # no decoder: HF joins word-level tokens with one space

    def _trainer(self, vocab_size: int) -> Any:
        from tokenizers import trainers

        return trainers.WordLevelTrainer(
            vocab_size=vocab_size, min_frequency=self.min_frequency, special_tokens=list(SPECIAL_TOKENS),
            show_progress=False,
        )

    def _options(self) -> dict[str, Any]:
        return {
            "vocab_size": self.vocab_size_option, "min_frequency": self.min_frequency,
            "lowercase": self.lowercase, "split_punctuation": self.split_punctuation,
        }

    def normalize(self, sample: str) -> str:
        return _joined_words(self.hf, sample)


class BPETokenizer(HFTokenizerMixin):
    """Byte-level byte-pair encoding: BPE (Sennrich et al. 2016) over UTF-8 bytes, as GPT-2
    (Radford et al. 2019), trained with HF's BpeTrainer.

    Every byte is in the base alphabet, so any text round-trips exactly and nothing is <unk>.
    Where polyseq differs from GPT-2: no prefix space is added, the special tokens take ids 0..6
    (GPT-2 has only <|endoftext|>, last), and encode adds no special tokens.
    """

    type_name: ClassVar[str] = "text.bpe"
    _unk_piece: ClassVar[str] = byte_level_text(HFTokenizerMixin.unk_text)
    _min_vocab: ClassVar[int] = N_SPECIAL + 256

    def __init__(self, vocab_size: int = 8000, min_frequency: int = 2):
        self.vocab_size_option = check_int("vocab_size", vocab_size, self._min_vocab)
        self.min_frequency = check_int("min_frequency", min_frequency, 1)
        self._set_hf(self._pipeline())

    def _pipeline(self) -> Any:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers

        hf = Tokenizer(models.BPE(unk_token=_UNK))
        hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        hf.decoder = decoders.ByteLevel()
        return hf

    def _trainer(self, vocab_size: int) -> Any:
        from tokenizers import pre_tokenizers, trainers

        return trainers.BpeTrainer(
            vocab_size=vocab_size, min_frequency=self.min_frequency, special_tokens=list(SPECIAL_TOKENS),
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
        )

    def _options(self) -> dict[str, Any]:
        return {"vocab_size": self.vocab_size_option, "min_frequency": self.min_frequency}


class WordPieceTokenizer(HFTokenizerMixin):
    """WordPiece (Schuster & Nakajima 2012) as in BERT (Devlin et al. 2019): words split at
    whitespace and punctuation, then into the longest known pieces, continuations marked ``##``.

    A word with a character outside the vocabulary, or longer than ``max_input_chars_per_word``,
    is one <unk>. Decoding joins words with one space (HF's WordPiece decoder with its
    clean-up turned off, so ``normalize`` can state the result exactly): like `word`, the normal
    form is the pre-tokenised words separated by single spaces. Where polyseq differs from BERT:
    no accent stripping, lower-casing only with ``lowercase=True``, special tokens at ids 0..6.
    """

    type_name: ClassVar[str] = "text.wordpiece"

    def __init__(
        self, vocab_size: int = 8000, min_frequency: int = 2, lowercase: bool = False, max_input_chars_per_word: int = 100
    ):
        self.vocab_size_option = check_int("vocab_size", vocab_size, N_SPECIAL + 1)
        self.min_frequency = check_int("min_frequency", min_frequency, 1)
        self.lowercase = check_bool("lowercase", lowercase)
        self.max_input_chars_per_word = check_int("max_input_chars_per_word", max_input_chars_per_word, 1)
        self._set_hf(self._pipeline())

    def _pipeline(self) -> Any:
        from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

        hf = Tokenizer(models.WordPiece(unk_token=_UNK, max_input_chars_per_word=self.max_input_chars_per_word))
        if self.lowercase:
            hf.normalizer = normalizers.Lowercase()
        hf.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        hf.decoder = decoders.WordPiece(cleanup=False)
        return hf

    def _trainer(self, vocab_size: int) -> Any:
        from tokenizers import trainers

        return trainers.WordPieceTrainer(
            vocab_size=vocab_size, min_frequency=self.min_frequency, special_tokens=list(SPECIAL_TOKENS),
            show_progress=False,
        )

    def _options(self) -> dict[str, Any]:
        return {
            "vocab_size": self.vocab_size_option, "min_frequency": self.min_frequency,
            "lowercase": self.lowercase, "max_input_chars_per_word": self.max_input_chars_per_word,
        }

    def normalize(self, sample: str) -> str:
        return _joined_words(self.hf, sample)


class UnigramTokenizer(HFTokenizerMixin):
    """Unigram language-model subwords (Kudo 2018) with SentencePiece's whitespace handling
    (Kudo & Richardson 2018): spaces become ``▁`` (U+2581), one is prepended, pieces never cross one.

    Characters never seen in training encode to <unk>. The round trip is exact for text of known
    characters except that decoding drops one leading space and writes a literal ``▁`` as a space;
    `normalize` applies exactly that. Where polyseq differs from SentencePiece: no NFKC
    normalisation, no byte fallback, HF's UnigramTrainer, special tokens at ids 0..6.
    """

    type_name: ClassVar[str] = "text.unigram"
    _model_matches_specials: ClassVar[bool] = True  # the lattice tries every piece, "<pad>" among them

    def __init__(self, vocab_size: int = 8000, max_piece_length: int = 16):
        self.vocab_size_option = check_int("vocab_size", vocab_size, N_SPECIAL + 1)
        self.max_piece_length = check_int("max_piece_length", max_piece_length, 1)
        self._set_hf(self._pipeline())

    def _pipeline(self) -> Any:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers

        hf = Tokenizer(models.Unigram())
        hf.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
        hf.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
        return hf

    def _trainer(self, vocab_size: int) -> Any:
        from tokenizers import trainers

        return trainers.UnigramTrainer(
            vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS), unk_token=_UNK,
            max_piece_length=self.max_piece_length, show_progress=False,
        )

    def _options(self) -> dict[str, Any]:
        return {"vocab_size": self.vocab_size_option, "max_piece_length": self.max_piece_length}

    @property
    def is_trained(self) -> bool:
        # an untrained HF Unigram model already holds one <unk> piece
        return self.hf.get_vocab_size() > N_SPECIAL and self.hf.token_to_id(_UNK) == UNK_ID

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        ids, spans = super().encode_with_offsets(sample)
        # HF gives the "▁" that Metaspace prepends (to a sample not starting with a space or "▁") the
        # first character's span; standing alone as a token, it covers no character
        if ids and sample[:1] not in (" ", "\u2581") and self.hf.id_to_token(ids[0]) == "\u2581":
            spans[0] = (0, 0)
        return ids, spans

    def normalize(self, sample: str) -> str:
        text = sample.replace("\u2581", " ")
        return text[1:] if text.startswith(" ") else text


def _joined_words(hf: Any, text: str) -> str:
    """The words HF's normaliser and pre-tokeniser make of `text`, joined by single spaces."""
    if hf.normalizer is not None:
        text = hf.normalizer.normalize_str(text)
    return " ".join(piece for piece, _ in hf.pre_tokenizer.pre_tokenize_str(text))
