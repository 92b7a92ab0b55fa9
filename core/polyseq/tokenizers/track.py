"""`TrackTokenizer`: a sequence with an aligned annotation track, one token per position.

For samples such as an RNA sequence with its dot-bracket structure, or DNA with a label per base::

    class Structure(polyseq.TrackTokenizer):
        type_name = "rna.structure"
        alphabet = "ACGU"
        track_alphabet = "().,"
        fold_case = "upper"

    Structure().tokens(polyseq.Annotated("GGAAACC", "((...))"))  # ['G|(', 'G|(', 'A|.', ...]

Each position becomes one token pairing its symbol and its annotation, from the product
vocabulary: ids 0..6 the special tokens, then (alphabet[i], track_alphabet[j]) at
7 + i * len(track_alphabet) + j - all pairs, the alphabet's order first. This scheme is polyseq's
own: a joint token keeps the two aligned by construction, at the cost of a vocabulary of
len(alphabet) * len(track_alphabet) pairs. A symbol or annotation outside its alphabet makes the
position <unk>, which decodes to U+FFFD in both the sequence and the track, so the two stay the
same length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from polyseq.errors import PolyseqError
from polyseq.tokenizers.base import N_SPECIAL, SPECIAL_TOKENS, UNK_ID, TokenizerMixin
from polyseq.tokenizers.offsets import Span, char_spans
from polyseq.tokenizers.symbols import (
    FOLD_CASES, UNSET, CharCodes, PieceTable, check_choice, check_config, check_symbols, clean_ids, code_dtype, fold,
    fold_char, np, option, raise_problems,
)

_CONFIG_KEYS = ("alphabet", "track_alphabet", "fold_case")


class Annotated(NamedTuple):
    """A sequence and its annotation track, one annotation character per sequence character."""

    sequence: str = ""
    track: str = ""


class TrackTokenizer(TokenizerMixin):
    """One token per position of an `Annotated` sample: (symbol, annotation) pairs.

    Options (class attributes; constructor keywords override them):
        alphabet: the sequence's symbols, one character each.
        track_alphabet: the annotations, one character each.
        fold_case: None, "upper" or "lower", for the sequence (the track is read as written).

    `normalize` folds the sequence's case; `decode` returns an `Annotated`. A plain
    (sequence, track) tuple of strings is accepted as a sample too. Offsets are positions:
    (i, i + 1) for the token of position i.
    """

    type_name: ClassVar[str] = "track"
    sample_description: ClassVar[str] = "Annotated(sequence, track) samples"

    alphabet: str | None = None
    track_alphabet: str | None = None
    fold_case: str | None = None

    def __init__(self, alphabet: str = UNSET, track_alphabet: str = UNSET, *, fold_case: str | None = UNSET):
        alphabet, track_alphabet = option(self, "alphabet", alphabet), option(self, "track_alphabet", track_alphabet)
        fold_case = option(self, "fold_case", fold_case)
        problems: list[str] = []
        check_choice(problems, "fold_case", fold_case, FOLD_CASES)
        folding = fold_case if fold_case in FOLD_CASES else None
        for name, value, case in (("alphabet", alphabet, folding), ("track_alphabet", track_alphabet, None)):
            if not isinstance(value, str) or not value:
                problems.append(f"{name} must be a non-empty string of one-character symbols, got {value!r}")
            else:
                check_symbols(problems, name, value, case, single=True)
        raise_problems(problems)
        self.alphabet, self.track_alphabet, self.fold_case = alphabet, track_alphabet, fold_case
        self._width = len(track_alphabet)
        seq_code = {s: i for i, s in enumerate(alphabet)}
        track_code = {s: i for i, s in enumerate(track_alphabet)}
        self._seq = CharCodes(lambda c: seq_code.get(fold_char(c, fold_case) if fold_case else c, len(alphabet)),
                              lambda c: True, len(alphabet))
        self._track = CharCodes(lambda c: track_code.get(c, self._width), lambda c: True, self._width)
        self._dtype = code_dtype(self.vocab_size)
        self._seq_text = PieceTable([*alphabet, self.unk_text])
        self._track_text = PieceTable([*track_alphabet, self.unk_text])

    @property
    def vocab_size(self) -> int:
        return N_SPECIAL + len(self.alphabet) * self._width

    def _sample(self, sample: Any) -> Annotated:
        if (isinstance(sample, tuple) and len(sample) == 2 and isinstance(sample[0], str)
                and isinstance(sample[1], str)):
            sequence, track = sample
            if len(sequence) != len(track):
                raise PolyseqError(f"the {self.type_name} tokenizer needs one annotation per position: the sequence "
                                   f"has {len(sequence)} positions, the track {len(track)}")
            return Annotated(sequence, track)
        raise PolyseqError(f"the {self.type_name} tokenizer encodes {self.sample_description}, "
                           f"got {type(sample).__name__}")

    def normalize(self, sample: Any) -> Annotated:
        sequence, track = self._sample(sample)
        return Annotated(fold(sequence, self.fold_case), track)

    def encode_array(self, sample: Any) -> np.ndarray:
        """The ids as a numpy array (what `encode` returns as a list)."""
        sequence, track = self._sample(sample)
        s = self._seq.array(sequence).astype(np.int64)
        t = self._track.array(track).astype(np.int64)
        known = (s < len(self.alphabet)) & (t < self._width)
        return np.where(known, N_SPECIAL + s * self._width + t, UNK_ID).astype(self._dtype)

    def encode(self, sample: Any) -> list[int]:
        return self.encode_array(sample).tolist()

    def encode_with_offsets(self, sample: Any) -> tuple[list[int], list[Span]]:
        ids = self.encode(sample)
        return ids, char_spans(len(ids))

    def decode(self, ids: Sequence[int]) -> Annotated:
        a = clean_ids(ids, self.vocab_size)
        pair = np.maximum(a - N_SPECIAL, 0)
        unknown = a == UNK_ID
        s = np.where(unknown, len(self.alphabet), pair // self._width)
        t = np.where(unknown, self._width, pair % self._width)
        return Annotated(self._seq_text.join(s), self._track_text.join(t))

    def id_to_token(self, i: int) -> str:
        if 0 <= i < N_SPECIAL:
            return SPECIAL_TOKENS[i]
        if N_SPECIAL <= i < self.vocab_size:
            s, t = divmod(i - N_SPECIAL, self._width)
            return f"{self.alphabet[s]}|{self.track_alphabet[t]}"
        return SPECIAL_TOKENS[UNK_ID]

    def to_config(self) -> dict[str, Any]:
        return {"alphabet": self.alphabet, "track_alphabet": self.track_alphabet, "fold_case": self.fold_case}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TrackTokenizer:
        check_config(config, _CONFIG_KEYS, cls.type_name)
        return cls(**config)
