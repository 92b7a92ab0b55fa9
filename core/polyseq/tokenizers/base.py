"""The tokenizer contract: fixed special tokens, the `Tokenizer` protocol, a vocabulary table.

Stages follow Hugging Face tokenizers: normalise -> pre-tokenise -> model -> decode. A tokenizer
is any object satisfying `Tokenizer`; `TokenizerMixin` supplies the parts every tokenizer writes
the same way (batching, display tokens, saving) by calling plain functions - nothing in it is
meant to be overridden.

Special tokens have the same ids in every tokenizer of every domain, so the engine can pad, mask
and stop without asking which tokenizer it has: <pad>=0 <unk>=1 <bos>=2 <eos>=3 <mask>=4 <cls>=5
<sep>=6. `encode` returns the sample's own tokens only; the engine adds <bos>/<eos>/<cls> as the
task needs. `decode` drops every special token except <unk>, which decodes to the tokenizer's
`unk_text`.

A tokenizer may also say where each token came from: `encode_with_offsets` (the contract is in
`TokenizerWithOffsets`; `polyseq.tokenizers.offsets.token_offsets` is how the engine asks).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

SPECIAL_TOKENS: tuple[str, ...] = ("<pad>", "<unk>", "<bos>", "<eos>", "<mask>", "<cls>", "<sep>")
PAD_ID, UNK_ID, BOS_ID, EOS_ID, MASK_ID, CLS_ID, SEP_ID = range(len(SPECIAL_TOKENS))
N_SPECIAL = len(SPECIAL_TOKENS)
SPECIAL_IDS: Mapping[str, int] = {
    "pad": PAD_ID, "unk": UNK_ID, "bos": BOS_ID, "eos": EOS_ID, "mask": MASK_ID, "cls": CLS_ID, "sep": SEP_ID,
}
#: ids that `decode` skips (everything special except <unk>)
SKIPPED_ON_DECODE = frozenset(SPECIAL_IDS.values()) - {UNK_ID}


@runtime_checkable
class Tokenizer(Protocol):
    """What the engine needs of a tokenizer. Samples need not be strings (MIDI scores are not).

    Optional: `encode_with_offsets(sample) -> (ids, spans)`, the ids with the span of the sample
    each came from, which per-token labelling needs (the contract is `TokenizerWithOffsets`).
    Optional: `token_times(ids) -> list[int | None]`, the time each token places the stream at, in
    `decode(ids)`'s time unit (None: not in time); `polyseq.views.token_roll` draws boundaries with it.
    """

    type_name: ClassVar[str]  # key in tokenizer JSON: "bytes", "char", "<domain>.<name>"
    trainable: ClassVar[bool]  # True for learned vocabularies: call train() before encode()

    @property
    def vocab_size(self) -> int: ...

    @property
    def special_tokens(self) -> Mapping[str, int]: ...

    def encode(self, sample: Any) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> Any: ...

    def encode_batch(self, samples: Sequence[Any]) -> list[list[int]]: ...

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[Any]: ...

    def tokens(self, sample: Any) -> list[str]: ...

    def id_to_token(self, i: int) -> str: ...

    def normalize(self, sample: Any) -> Any:
        """The normal form `decode(encode(sample))` must equal."""

    def to_config(self) -> dict[str, Any]:
        """Everything needed to rebuild the tokenizer, as JSON-compatible values."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Tokenizer: ...

    def save(self, path: Any) -> None: ...


@runtime_checkable
class TokenizerWithOffsets(Tokenizer, Protocol):
    """A tokenizer that also gives token offsets, as Hugging Face tokenizers' `Encoding.offsets`.

    `encode_with_offsets` is optional: a tokenizer whose tokens have no place in the sample
    leaves it out (the MIDI schemes order tokens by time, not by the score's notes; SELFIES
    symbols re-encode the molecule graph), and one whose options rule offsets out raises
    `ConfigError` from it saying which option (`canonical=True` SMILES tokenizers).
    """

    def encode_with_offsets(self, sample: Any) -> tuple[list[int], list[tuple[int, int]]]:
        """The ids `encode(sample)` returns, and for each id a half-open span (start, end) of the sample.

        Spans index the sample *as given* to `encode`, before any normalisation, in sample
        positions: characters for strings (a token of part of a character - a UTF-8 byte - gets
        the whole character's span); a tokenizer of other samples documents what its positions
        are. The rules (`offsets.offset_problems` checks them):

        - 0 <= start <= end <= len(sample), and starts never decrease;
        - a token that covers no input gets an empty span (p, p) at its position;
        - where tokens partition the input (characters, atoms, non-overlapping k-mers, BPE), the
          spans cover every character that produced a token, once (byte tokens aside: two
          tokens holding bytes of one character both cover it); characters the tokenizer drops
          (whitespace between words, comments) are covered by no span; overlapping k-mers
          (stride < k) have overlapping spans [i*stride, i*stride + k).
        """
        ...


class TokenizerMixin:
    """Shared behaviour for tokenizers; a class using it writes encode/decode/id_to_token/vocab_size/config."""

    trainable: ClassVar[bool] = False
    unk_text: ClassVar[str] = "\ufffd"

    @property
    def special_tokens(self) -> Mapping[str, int]:
        return SPECIAL_IDS

    @property
    def is_trained(self) -> bool:
        return True

    def encode_batch(self, samples: Sequence[Any]) -> list[list[int]]:
        return [self.encode(s) for s in samples]  # type: ignore[attr-defined]

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[Any]:
        return [self.decode(ids) for ids in batch]  # type: ignore[attr-defined]

    def tokens(self, sample: Any) -> list[str]:
        return [self.id_to_token(i) for i in self.encode(sample)]  # type: ignore[attr-defined]

    def normalize(self, sample: Any) -> Any:
        return sample

    def save(self, path: Any) -> None:
        from polyseq.tokenizers.serialization import save_tokenizer

        save_tokenizer(self, path)  # type: ignore[arg-type]


class Vocab:
    """An id <-> token table whose first ids are the special tokens; unknown tokens map to <unk>.

    Used by every tokenizer whose model is a lookup table (characters, residues, atoms, k-mers...).
    """

    def __init__(self, tokens: Iterable[str]):
        self.itos: list[str] = list(SPECIAL_TOKENS)
        seen = set(self.itos)
        for t in tokens:
            if t not in seen:
                seen.add(t)
                self.itos.append(t)
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def from_counts(cls, counts: Counter[str], max_size: int | None = None, min_freq: int = 1) -> Vocab:
        """Most frequent tokens first (ties broken by the token), at most `max_size` ids in all."""
        ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max(0, max_size - N_SPECIAL)]
        return cls(ranked)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def lookup(self, tokens: Iterable[str]) -> list[int]:
        get = self.stoi.get
        return [get(t, UNK_ID) for t in tokens]

    def id_to_token(self, i: int) -> str:
        """The token of id `i`; an id outside the table shows as <unk>."""
        return self.itos[i] if 0 <= i < len(self.itos) else SPECIAL_TOKENS[UNK_ID]

    def content_tokens(self) -> list[str]:
        """The learned tokens, without the special ones (what `to_config` saves)."""
        return self.itos[N_SPECIAL:]

    def decode(self, ids: Iterable[int], unk_text: str) -> list[str]:
        out = []
        for i in ids:
            if i in SKIPPED_ON_DECODE:
                continue
            out.append(unk_text if i == UNK_ID or not 0 <= i < len(self.itos) else self.itos[i])
        return out
