"""DNA tokenizers: single nucleotides, k-mers (DNABERT) and learned BPE (DNABERT-2).

`nucleotide` and `kmer` are configurations of the core's building blocks (`polyseq.LookupTokenizer`,
`polyseq.KmerTokenizer`): characters are read through a translate table and k-mer ids built with
array arithmetic, so no hot path runs Python per nucleotide. Id layout shared by the k-mer and BPE
schemes: 0..6 the fixed special tokens, then the single nucleotides A C G T N, then the rest.

What happens to characters outside a tokenizer's alphabet (the same rule for every scheme):
- IUPAC ambiguity codes (R Y S W K M B D H V) become N (option `ambiguous="N"`, the default:
  N means "any base", a superset of each code) or <unk> (`ambiguous="unk"`);
- anything else (U without `rna=True`, gaps, digits, other letters, non-ASCII) becomes <unk>,
  which decodes to U+FFFD.
Every such character is counted in the tokenizer's `replaced` Counter (character -> count);
`normalize(sample)` gives the string the round trip reproduces for DNA (case folded, codes -> N;
a character that encodes to <unk> is only case-folded).

Every character gives a token (or is part of one), so the token offsets (`encode_with_offsets`)
cover the whole sample: one character per nucleotide token, [i, i+k) per k-mer, the nucleotides
a BPE token merged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, ClassVar

import numpy as np

import polyseq
from polyseq import N_SPECIAL, SPECIAL_TOKENS, UNK_ID, ConfigError, PolyseqError, Span, TokenizerMixin
from polyseq_dna.alphabet import AMBIGUITY

SINGLES = "ACGTN"  # ids N_SPECIAL..N_SPECIAL+4 in the k-mer and BPE tokenizers
FIRST_MERGED_ID = N_SPECIAL + len(SINGLES)  # first k-mer id / first id after the BPE base symbols
_CODES_TO_N = {c: "N" for c in AMBIGUITY}


def _check_choice(problems: list[str], name: str, value: Any, choices: tuple[Any, ...]) -> None:
    if value not in choices or type(value) is not type(choices[0]):
        shown = " or ".join(repr(c) for c in choices)
        problems.append(f"{name} must be {shown}, got {value!r}")


def _raise(problems: list[str]) -> None:
    if problems:
        raise ConfigError(problems)


@cache
def _acgt_windows(k: int, ambiguous: str = "N") -> Any:
    """Overlapping ACGT k-mers with N beside them (any k, not only DNABERT's 1..8): what the helpers below read with."""
    return polyseq.KmerTokenizer("ACGT", k=k, stride=1, extra="N", fold_case="upper",
                                 replace=_CODES_TO_N if ambiguous == "N" else {})


def acgtn_codes(sample: str, ambiguous: str = "N", counter: Counter[str] | None = None) -> np.ndarray:
    """Codes A=0 C=1 G=2 T=3 N=4 (either case), 5 for anything else; ambiguity codes -> 4 or 5."""
    return _acgt_windows(1, ambiguous).codes(sample, Counter() if counter is None else counter)


def kmer_index(codes: np.ndarray, k: int) -> np.ndarray:
    """Base-4 index of the k-mer at each of the L-k+1 starts, for codes A=0 C=1 G=2 T=3 (other
    codes give meaningless indices: mask them with `kmer_whole`)."""
    return _acgt_windows(k).windows(codes)[0]


def kmer_whole(codes: np.ndarray, k: int) -> np.ndarray:
    """Mask of the starts whose k-mer is all A C G T."""
    return _acgt_windows(k).windows(codes)[1]


# ------------------------------------------------------------------------------------------------


class NucleotideTokenizer(polyseq.LookupTokenizer):
    """One token per nucleotide, the base alphabet of the genomic language models (HyenaDNA,
    Nguyen et al. 2023; Caduceus, Schiff et al. 2024): A C G T N.

    Options: `iupac=True` adds the ambiguity codes R Y S W K M B D H V as their own tokens;
    `rna=True` adds U; `soft_mask="keep"` keeps lower-case (soft-masked repeat) letters as their own
    tokens, `"fold"` (default) upper-cases them; `ambiguous` ("N" or "unk") says what an ambiguity
    code outside the alphabet becomes. Where polyseq differs from those models: nothing is dropped,
    out-of-alphabet characters become N or <unk> and are counted in `replaced`.

    A `polyseq.LookupTokenizer` with a fixed alphabet, `fold_case="upper"` (or none with
    soft_mask="keep"), ambiguity codes `replace`d by N, and `fallback="unk"`.
    """

    type_name: ClassVar[str] = "dna.nucleotide"
    trainable: ClassVar[bool] = False
    sample_description: ClassVar[str] = "DNA strings"

    def __init__(self, iupac: bool = False, rna: bool = False, soft_mask: str = "fold", ambiguous: str = "N"):
        problems: list[str] = []
        _check_choice(problems, "iupac", iupac, (False, True))
        _check_choice(problems, "rna", rna, (False, True))
        _check_choice(problems, "soft_mask", soft_mask, ("fold", "keep"))
        _check_choice(problems, "ambiguous", ambiguous, ("N", "unk"))
        _raise(problems)
        self.iupac, self.rna, self.soft_mask, self.ambiguous = iupac, rna, soft_mask, ambiguous
        symbols = "ACGTN" + ("U" if rna else "") + (AMBIGUITY if iupac else "")
        replace = {} if iupac or ambiguous == "unk" else dict(_CODES_TO_N)
        if soft_mask == "keep":
            symbols += symbols.lower()
            replace |= {c.lower(): n.lower() for c, n in replace.items()}
        super().__init__(symbols, fold_case="upper" if soft_mask == "fold" else None, replace=replace,
                         fallback="unk")

    def to_config(self) -> dict[str, Any]:
        return {"iupac": self.iupac, "rna": self.rna, "soft_mask": self.soft_mask, "ambiguous": self.ambiguous}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> NucleotideTokenizer:
        return cls(**config)


class KmerTokenizer(polyseq.KmerTokenizer):
    """k-mers of nucleotides, k = 1..8, as DNABERT (Ji et al. 2021, Bioinformatics 37:2112).

    `overlap=True` (DNABERT): one token per start position, L-k+1 tokens for L >= k; decoding
    takes the first base of each token and the whole last k-mer, which reconstructs the sequence.
    `overlap=False`: consecutive k-mers; a trailing remainder of L mod k bases is emitted as
    single-nucleotide tokens, so every length round-trips exactly.

    Where polyseq differs from DNABERT: the vocabulary is the 4^k ACGT k-mers plus five single
    nucleotides A C G T N. A k-mer containing N (or an ambiguity code, which becomes N) is not
    <unk> as in DNABERT: it is emitted as the single token of its first base (overlapping) or as k
    single tokens (non-overlapping); when the last k-mer of an overlapping encoding is of that kind,
    its k-1 trailing bases follow as single tokens. So N-containing sequences round-trip exactly.
    Lower case is folded (k-mer models ignore soft-masking); other characters become <unk>.

    A `polyseq.KmerTokenizer` over "ACGT" with N as `extra`, stride 1 (overlap) or k, and
    ambiguity codes `replace`d by N.
    """

    type_name: ClassVar[str] = "dna.kmer"
    trainable: ClassVar[bool] = False
    sample_description: ClassVar[str] = "DNA strings"
    alphabet = "ACGT"
    extra = "N"
    fold_case = "upper"

    def __init__(self, k: int = 6, overlap: bool = True, ambiguous: str = "N"):
        problems: list[str] = []
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 8:
            problems.append(f"k must be in 1..8, got {k!r}")
        _check_choice(problems, "overlap", overlap, (True, False))
        _check_choice(problems, "ambiguous", ambiguous, ("N", "unk"))
        _raise(problems)
        self.overlap, self.ambiguous = overlap, ambiguous
        super().__init__(k=k, stride=1 if overlap else k, replace=_CODES_TO_N if ambiguous == "N" else {})

    def to_config(self) -> dict[str, Any]:
        return {"k": self.k, "overlap": self.overlap, "ambiguous": self.ambiguous}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> KmerTokenizer:
        return cls(**config)


class BPETokenizer(TokenizerMixin):
    """Byte-pair merges learned over nucleotides, as DNABERT-2 (Zhou et al. 2023, ICLR 2024).

    The base symbols are A C G T N; `train(samples, vocab_size)` learns merges with Hugging Face
    `tokenizers` through polyseq's `SymbolBPE`. Where polyseq differs from DNABERT-2: no
    pre-tokenisation into fixed chunks (a sample is one "word"; merges never cross <unk>), lower
    case is folded, ambiguity codes become N, and the special tokens have polyseq's fixed ids.
    """

    type_name: ClassVar[str] = "dna.bpe"
    trainable: ClassVar[bool] = True

    def __init__(self, vocab_size: int = 4096, min_frequency: int = 2, ambiguous: str = "N",
                 model: Mapping[str, Any] | None = None):
        problems: list[str] = []
        if not isinstance(vocab_size, int) or isinstance(vocab_size, bool) or vocab_size < FIRST_MERGED_ID:
            problems.append(f"vocab_size must be an integer >= {FIRST_MERGED_ID} (special tokens + A C G T N), "
                            f"got {vocab_size!r}")
        if not isinstance(min_frequency, int) or isinstance(min_frequency, bool) or min_frequency < 1:
            problems.append(f"min_frequency must be an integer >= 1, got {min_frequency!r}")
        _check_choice(problems, "ambiguous", ambiguous, ("N", "unk"))
        _raise(problems)
        self.target_vocab_size, self.min_frequency, self.ambiguous = vocab_size, min_frequency, ambiguous
        self._nucleotides = NucleotideTokenizer(ambiguous=ambiguous)  # the base symbols: ids A=7 .. N=11
        self.bpe: Any = None
        if model is not None:
            from polyseq import SymbolBPE

            self.bpe = SymbolBPE.from_config(dict(model))
        #: characters outside A C G T N (either case) seen by encode or train, with their counts
        self.replaced: Counter[str] = self._nucleotides.replaced

    @property
    def is_trained(self) -> bool:
        return self.bpe is not None

    def _model(self) -> Any:
        if self.bpe is None:
            raise PolyseqError("the dna.bpe tokenizer has no merges yet: call train(samples) first "
                               "(or load a trained tokenizer file)")
        return self.bpe

    def _base(self, sample: str) -> list[int]:
        if not isinstance(sample, str):
            raise PolyseqError(f"the {self.type_name} tokenizer encodes DNA strings, got {type(sample).__name__}")
        return self._nucleotides.encode(sample)

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        from polyseq import SymbolBPE

        size = vocab_size or self.target_vocab_size
        self.bpe = SymbolBPE.train((self._base(s) for s in samples), n_base=FIRST_MERGED_ID,
                                   vocab_size=size, min_frequency=self.min_frequency)
        self.target_vocab_size = size

    @property
    def vocab_size(self) -> int:
        return self._model().vocab_size

    def normalize(self, sample: str) -> str:
        return self._nucleotides.normalize(sample)

    def encode(self, sample: str) -> list[int]:
        return self._model().encode(self._base(sample))

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        return self._model().encode_with_offsets(self._base(sample))  # one base symbol per character

    def decode(self, ids: Sequence[int]) -> str:
        return self._nucleotides.decode(self._model().decode(list(ids)))

    def id_to_token(self, i: int) -> str:
        if 0 <= i < N_SPECIAL:
            return SPECIAL_TOKENS[i]
        pieces = self._model().pieces(i)
        return "".join(SINGLES[b - N_SPECIAL] for b in pieces) if pieces else SPECIAL_TOKENS[UNK_ID]

    def to_config(self) -> dict[str, Any]:
        return {"vocab_size": self.target_vocab_size, "min_frequency": self.min_frequency,
                "ambiguous": self.ambiguous, "model": self._model().to_config()}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BPETokenizer:
        return cls(**config)
