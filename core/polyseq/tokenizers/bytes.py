"""UTF-8 bytes: the tokenizer every text-like domain can fall back on, with no unknown symbols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from polyseq.errors import PolyseqError
from polyseq.tokenizers.base import N_SPECIAL, SKIPPED_ON_DECODE, SPECIAL_TOKENS, UNK_ID, TokenizerMixin
from polyseq.tokenizers.offsets import Span, utf8_char_spans


class ByteTokenizer(TokenizerMixin):
    """One token per UTF-8 byte (as ByT5, Xue et al. 2022): ids 7..262 are bytes 0..255.

    Round trip is exact for every string. `decode` of a byte sequence that is not valid UTF-8
    (possible for generated ids) uses U+FFFD for the invalid bytes. Offsets are in characters:
    each byte of a multi-byte character gets that character's span.
    """

    type_name: ClassVar[str] = "bytes"

    @property
    def vocab_size(self) -> int:
        return N_SPECIAL + 256

    def encode(self, sample: str) -> list[int]:
        if not isinstance(sample, str):
            raise PolyseqError(f"the bytes tokenizer encodes strings, got {type(sample).__name__}")
        return [b + N_SPECIAL for b in sample.encode("utf-8")]

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        ids = self.encode(sample)
        return ids, utf8_char_spans(sample)

    def decode(self, ids: Sequence[int]) -> str:
        data = bytearray()
        for i in ids:
            if i in SKIPPED_ON_DECODE:
                continue
            if i == UNK_ID or not N_SPECIAL <= i < N_SPECIAL + 256:
                data += self.unk_text.encode("utf-8")
            else:
                data.append(i - N_SPECIAL)
        return data.decode("utf-8", errors="replace")

    def id_to_token(self, i: int) -> str:
        if i < N_SPECIAL:
            return SPECIAL_TOKENS[i]
        b = i - N_SPECIAL
        return chr(b) if 0x21 <= b < 0x7F else f"<0x{b:02X}>"

    def to_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ByteTokenizer:
        return cls()
