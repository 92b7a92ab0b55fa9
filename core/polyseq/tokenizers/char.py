"""Characters with a vocabulary learned from the training data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from polyseq.errors import ConfigError, PolyseqError
from polyseq.tokenizers.base import SPECIAL_TOKENS, TokenizerMixin, Vocab
from polyseq.tokenizers.offsets import Span, char_spans


class CharTokenizer(TokenizerMixin):
    """One token per Unicode code point, vocabulary learned by frequency (char-rnn, Karpathy 2015).

    `train(samples, vocab_size)` keeps the most frequent characters; others encode to <unk>, which
    decodes to U+FFFD, so the round trip is exact for text whose characters are all in the vocabulary.
    A vocabulary can also be given directly with `chars`.
    """

    type_name: ClassVar[str] = "char"
    trainable: ClassVar[bool] = True

    def __init__(self, chars: Iterable[str] | None = None, vocab_size: int | None = None, min_freq: int = 1):
        if vocab_size is not None and vocab_size <= len(SPECIAL_TOKENS):
            raise ConfigError(f"vocab_size must be > {len(SPECIAL_TOKENS)} (the special tokens), got {vocab_size}")
        if min_freq < 1:
            raise ConfigError(f"min_freq must be >= 1, got {min_freq}")
        self.max_vocab = vocab_size
        self.min_freq = min_freq
        self.vocab: Vocab | None = None
        if chars is not None:
            chars = list(chars)
            bad = [c for c in chars if len(c) != 1]
            if bad:
                raise ConfigError(f"chars must be single characters, got {bad[:5]!r}")
            self.vocab = Vocab(chars)

    @property
    def is_trained(self) -> bool:
        return self.vocab is not None

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        counts: Counter[str] = Counter()
        for s in samples:
            counts.update(s)
        self.vocab = Vocab.from_counts(counts, vocab_size or self.max_vocab, self.min_freq)

    def _vocab(self) -> Vocab:
        if self.vocab is None:
            raise PolyseqError("the char tokenizer has no vocabulary yet: call train(samples) or pass chars=")
        return self.vocab

    @property
    def vocab_size(self) -> int:
        return len(self._vocab())

    def encode(self, sample: str) -> list[int]:
        if not isinstance(sample, str):
            raise PolyseqError(f"the char tokenizer encodes strings, got {type(sample).__name__}")
        return self._vocab().lookup(sample)

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        ids = self.encode(sample)
        return ids, char_spans(len(sample))

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self._vocab().decode(ids, self.unk_text))

    def id_to_token(self, i: int) -> str:
        return self._vocab().id_to_token(i)

    def to_config(self) -> dict[str, Any]:
        return {"chars": self._vocab().content_tokens(), "min_freq": self.min_freq}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CharTokenizer:
        return cls(chars=config["chars"], min_freq=config.get("min_freq", 1))
