"""Characters with a vocabulary learned from the training data: a configuration of `LookupTokenizer`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from polyseq.errors import ConfigError, PolyseqError
from polyseq.tokenizers.base import N_SPECIAL
from polyseq.tokenizers.lookup import LookupTokenizer

N_BYTES = 256


class CharTokenizer(LookupTokenizer):
    """One token per Unicode code point, vocabulary learned by frequency (char-rnn, Karpathy 2015).

    `train(samples, vocab_size)` keeps the most frequent characters (`vocab_size` counts every id:
    special, byte and character tokens). Lossless by default: a character outside the vocabulary
    falls back to its UTF-8 bytes (`fallback="bytes"`), so `decode(encode(x)) == x` for every
    string; with `fallback="unk"` it becomes <unk>, which decodes to U+FFFD, as tokenizers saved
    before the fallback existed do. A vocabulary can also be given directly with `chars`.
    """

    type_name: ClassVar[str] = "char"
    learn = True

    def __init__(self, chars: Iterable[str] | None = None, vocab_size: int | None = None, min_freq: int = 1,
                 fallback: str = "bytes"):
        if fallback not in ("bytes", "unk"):
            raise ConfigError(f"fallback must be 'bytes' or 'unk', got {fallback!r}")
        floor = N_SPECIAL + (N_BYTES if fallback == "bytes" else 0)
        if vocab_size is not None and (not isinstance(vocab_size, int) or vocab_size <= floor):
            raise ConfigError(
                f"vocab_size must be an integer > {floor} ({N_SPECIAL} special tokens"
                f"{f' + {N_BYTES} byte tokens' if fallback == 'bytes' else ''}), got {vocab_size!r}"
                + ("; use fallback='unk' for a smaller vocabulary" if fallback == "bytes" else "")
            )
        if chars is not None:
            chars = list(chars)
            bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
            if bad:
                raise ConfigError(f"chars must be single characters, got {bad[:5]!r}")
        super().__init__(min_freq=min_freq, max_size=vocab_size, fallback=fallback, vocab=chars)
        self.max_vocab = vocab_size

    def _check_trained(self) -> None:
        if not self.is_trained:
            raise PolyseqError("the char tokenizer has no vocabulary yet: call train(samples) or pass chars=")

    @property
    def vocab_size(self) -> int:
        self._check_trained()
        return super().vocab_size

    def encode(self, sample: str) -> list[int]:
        if not isinstance(sample, str):
            raise PolyseqError(f"the char tokenizer encodes strings, got {type(sample).__name__}")
        self._check_trained()
        return super().encode(sample)

    def to_config(self) -> dict[str, Any]:
        self._check_trained()
        return {"chars": self.vocab_symbols(), "min_freq": self.min_freq, "fallback": self.fallback}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CharTokenizer:
        # files written before the byte fallback have no "fallback": they mapped unseen characters to <unk>
        return cls(chars=config["chars"], min_freq=config.get("min_freq", 1), fallback=config.get("fallback", "unk"))
