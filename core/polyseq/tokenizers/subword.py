"""Learned subword merges with Hugging Face `tokenizers`, shared by every domain that needs them.

`SymbolBPE` learns byte-pair merges over sequences of *base symbols* - nucleotides, SMILES atoms,
MIDI events - rather than over text, the way DNABERT-2 (Zhou et al. 2023) applies BPE to DNA and
MidiTok applies it to music tokens: each base id is mapped to one Unicode character, HF's BPE
trainer learns merges over those characters, and decoding maps merged tokens back to base ids.
The special tokens keep their fixed ids (0..6) in the merged vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from tokenizers import Tokenizer as HFTokenizer
from tokenizers import models, trainers

from polyseq.errors import ConfigError, PolyseqError
from polyseq.tokenizers.base import N_SPECIAL, SKIPPED_ON_DECODE, SPECIAL_TOKENS, UNK_ID

# Base id b is written as chr(_OFFSET + b): CJK ideographs, one code point each, far from ASCII.
_OFFSET = 0x4E00
_MAX_BASE = 0x9FFF - _OFFSET


def check_special_ids(hf: HFTokenizer, what: str) -> None:
    """Fail loudly if an HF tokenizer does not give the special tokens polyseq's fixed ids."""
    wrong = [(t, hf.token_to_id(t)) for i, t in enumerate(SPECIAL_TOKENS) if hf.token_to_id(t) != i]
    if wrong:
        raise PolyseqError(f"{what}: special tokens got ids {wrong}, expected {list(enumerate(SPECIAL_TOKENS))}")


class SymbolBPE:
    """BPE merges over sequences of base-symbol ids in `[N_SPECIAL, n_base)`."""

    def __init__(self, hf: HFTokenizer, n_base: int):
        self.hf = hf
        self.n_base = n_base
        check_special_ids(hf, "SymbolBPE")
        # token id -> base ids it stands for; built once so decode is a list lookup
        self._pieces: list[tuple[int, ...]] = []
        for i in range(hf.get_vocab_size()):
            tok = hf.id_to_token(i)
            self._pieces.append(() if i < N_SPECIAL else tuple(ord(c) - _OFFSET for c in tok))

    @classmethod
    def train(
        cls, sequences: Iterable[Sequence[int]], n_base: int, vocab_size: int, min_frequency: int = 2
    ) -> SymbolBPE:
        if not N_SPECIAL < n_base <= _MAX_BASE:
            raise ConfigError(f"n_base must be in ({N_SPECIAL}, {_MAX_BASE}], got {n_base}")
        if vocab_size < n_base:
            raise ConfigError(
                f"vocab_size={vocab_size} is smaller than the base vocabulary ({n_base} ids); "
                f"choose vocab_size >= {n_base}"
            )
        hf = HFTokenizer(models.BPE(unk_token=SPECIAL_TOKENS[UNK_ID]))
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=list(SPECIAL_TOKENS),
            initial_alphabet=[chr(_OFFSET + b) for b in range(N_SPECIAL, n_base)],
            limit_alphabet=n_base,
            show_progress=False,
        )
        hf.train_from_iterator((cls._to_text(s) for s in sequences), trainer=trainer)
        return cls(hf, n_base)

    @staticmethod
    def _to_text(base_ids: Sequence[int]) -> str:
        return "".join(chr(_OFFSET + b) for b in base_ids if b >= N_SPECIAL)

    @property
    def vocab_size(self) -> int:
        return len(self._pieces)

    def _runs(self, base_ids: Sequence[int]) -> Iterator[tuple[int, int, int | None]]:
        """(lo, hi, None) for each run of mergeable base ids, (j, j+1, id) for a special one between them:
        merges never cross <unk>."""
        start = 0
        for j, b in enumerate(base_ids):
            if b < N_SPECIAL:
                if j > start:
                    yield start, j, None
                yield j, j + 1, UNK_ID if b == UNK_ID else b
                start = j + 1
        if start < len(base_ids):
            yield start, len(base_ids), None

    def encode(self, base_ids: Sequence[int]) -> list[int]:
        """Merged ids for a sequence of base ids (base <unk> stays <unk>)."""
        out: list[int] = []
        for lo, hi, special in self._runs(base_ids):
            if special is None:
                out.extend(self.hf.encode(self._to_text(base_ids[lo:hi])).ids)
            else:
                out.append(special)
        return out

    def encode_with_offsets(self, base_ids: Sequence[int]) -> tuple[list[int], list[tuple[int, int]]]:
        """`encode(base_ids)`, and for each merged id the [start, end) range of base ids it stands for."""
        out: list[int] = []
        spans: list[tuple[int, int]] = []
        for lo, hi, special in self._runs(base_ids):
            if special is None:
                encoding = self.hf.encode(self._to_text(base_ids[lo:hi]))  # offsets count base symbols
                out.extend(encoding.ids)
                offsets = encoding.offsets
                spans.extend(offsets if lo == 0 else [(lo + a, lo + b) for a, b in offsets])
            else:
                out.append(special)
                spans.append((lo, hi))
        return out, spans

    def decode(self, ids: Sequence[int]) -> list[int]:
        """Base ids for merged ids; <unk> is kept, other special tokens are dropped."""
        out: list[int] = []
        for i in ids:
            if i in SKIPPED_ON_DECODE:
                continue
            if i == UNK_ID or not 0 <= i < len(self._pieces):
                out.append(UNK_ID)
            else:
                out.extend(self._pieces[i])
        return out

    def pieces(self, i: int) -> tuple[int, ...]:
        """The base ids token `i` stands for (empty for special tokens)."""
        return self._pieces[i] if 0 <= i < len(self._pieces) else ()

    def to_config(self) -> dict:
        return {"n_base": self.n_base, "hf_tokenizer": self.hf.to_str()}

    @classmethod
    def from_config(cls, config: dict) -> SymbolBPE:
        return cls(HFTokenizer.from_str(config["hf_tokenizer"]), int(config["n_base"]))
