"""One token per residue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from polyseq import ConfigError, PolyseqError, TokenizerMixin, Vocab

STANDARD = "ACDEFGHIKLMNPQRSTVWY"
#: IUPAC extras: X unknown, B = D/N, Z = E/Q, J = I/L, U selenocysteine, O pyrrolysine, * stop
EXTENDED = "XBZJUO*"


class ResidueTokenizer(TokenizerMixin):
    """Amino acids as single tokens, as in ESM (Rives et al. 2021) and ProtTrans (Elnaggar et al. 2021).

    The 20 standard residues plus, with `extended=True` (default), the IUPAC extras X B Z J U O and
    `*`. Lower case is folded to upper case (`normalize` upper-cases), so the round trip is exact
    up to case. Any other letter encodes to <unk>. Token offsets are one character per residue.
    """

    type_name: ClassVar[str] = "protein.residue"

    def __init__(self, extended: bool = True):
        if not isinstance(extended, bool):
            raise ConfigError(f"extended must be true or false, got {extended!r}")
        self.extended = extended
        self.vocab = Vocab(STANDARD + (EXTENDED if extended else ""))

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def normalize(self, sample: str) -> str:
        return sample.upper()

    def encode(self, sample: str) -> list[int]:
        if not isinstance(sample, str):
            raise PolyseqError(f"protein.residue encodes strings, got {type(sample).__name__}")
        return self.vocab.lookup(sample.upper())

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[tuple[int, int]]]:
        """The ids, and for each the (start, end) of its character in `sample` (optional: a per-residue
        labelling task needs it). A character that upper-cases to several ("ß" -> "SS") gives them its span."""
        ids = self.encode(sample)
        if len(ids) == len(sample):
            return ids, [(i, i + 1) for i in range(len(sample))]
        return ids, [(i, i + 1) for i, c in enumerate(sample) for _ in c.upper()]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.vocab.decode(ids, self.unk_text))

    def id_to_token(self, i: int) -> str:
        return self.vocab.id_to_token(i)

    def to_config(self) -> dict[str, Any]:
        return {"extended": self.extended}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ResidueTokenizer:
        return cls(extended=config["extended"])
