"""DNA tokenizers: single nucleotides, k-mers (DNABERT) and learned BPE (DNABERT-2).

All three map characters through a 256-entry numpy table and build k-mer ids with array
arithmetic, so no hot path runs Python per nucleotide. Id layout shared by the k-mer and BPE
schemes: 0..6 the fixed special tokens, then the single nucleotides A C G T N, then the rest.

What happens to characters outside a tokenizer's alphabet (the same rule for every scheme):
- IUPAC ambiguity codes (R Y S W K M B D H V) become N (option `ambiguous="N"`, the default:
  N means "any base", a superset of each code) or <unk> (`ambiguous="unk"`);
- anything else (U without `rna=True`, gaps, digits, other letters, non-ASCII) becomes <unk>,
  which decodes to U+FFFD.
Every such character is counted in the tokenizer's `replaced` Counter (character -> count);
`normalize(sample)` gives the string the round trip reproduces (case folded, codes -> N).

Every character gives a token (or is part of one), so the token offsets (`encode_with_offsets`)
cover the whole sample: one character per nucleotide token, [i, i+k) per k-mer, the nucleotides
a BPE token merged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from polyseq.errors import ConfigError, PolyseqError
from polyseq.tokenizers.base import N_SPECIAL, SPECIAL_TOKENS, UNK_ID, TokenizerMixin, Vocab
from polyseq.tokenizers.offsets import Span, char_spans, spans_from_arrays
from polyseq_dna.alphabet import AMBIGUITY, IUPAC_BOTH_CASES

SINGLES = "ACGTN"  # ids N_SPECIAL..N_SPECIAL+4 in the k-mer and BPE tokenizers
FIRST_MERGED_ID = N_SPECIAL + len(SINGLES)  # first k-mer id / first id after the BPE base symbols
_UNK_CODE = len(SINGLES)  # "not in the alphabet" in the A=0 C=1 G=2 T=3 N=4 code table
_UNK_BYTE = 0x1A  # stands for <unk> while decoding to bytes; replaced by unk_text at the end


def _check_choice(problems: list[str], name: str, value: Any, choices: tuple[Any, ...]) -> None:
    if value not in choices or type(value) is not type(choices[0]):
        shown = " or ".join(repr(c) for c in choices)
        problems.append(f"{name} must be {shown}, got {value!r}")


def _raise(problems: list[str]) -> None:
    if problems:
        raise ConfigError(problems)


class CodeTable:
    """Characters -> small codes (< 256) at C speed: `bytes.translate` for ASCII text, a numpy
    lookup for the rare sample with non-ASCII characters (all of which map to `unknown`).

    `targets` maps each accepted ASCII character to its code; characters in `silent` are not
    counted; every other character (mapped to N or to `unknown`) is counted by `codes()`.
    """

    def __init__(self, targets: Mapping[str, int], silent: Iterable[str], unknown: int):
        table = np.full(256, unknown, dtype=np.uint8)
        for ch, code in targets.items():
            table[ord(ch)] = code
        self.table = table
        self._translate = table.tobytes()
        self._silent = "".join(silent).encode("ascii")
        self._counted = np.ones(256, dtype=bool)
        self._counted[list(self._silent)] = False

    def codes(self, sample: Any, counter: Counter[str], who: str) -> np.ndarray:
        """A read-only uint8 array of codes, one per character; counts the replaced characters."""
        if not isinstance(sample, str):
            raise PolyseqError(f"the {who} tokenizer encodes DNA strings, got {type(sample).__name__}")
        try:
            data = sample.encode("ascii")
        except UnicodeEncodeError:
            raw = np.frombuffer(sample.encode("utf-32-le"), dtype=np.uint32)
            clipped = np.minimum(raw, 255)  # bytes 128..255 are never targets: unknown, counted
            self._count(raw[self._counted[clipped]], counter)
            return self.table[clipped]
        rest = data.translate(None, self._silent)
        if rest:
            self._count(np.frombuffer(rest, dtype=np.uint8), counter)
        return np.frombuffer(data.translate(self._translate), dtype=np.uint8)

    @staticmethod
    def _count(values: np.ndarray, counter: Counter[str]) -> None:
        if values.size:
            found, counts = np.unique(values, return_counts=True)
            counter.update({chr(v): c for v, c in zip(found.tolist(), counts.tolist())})


def _acgtn_table(ambiguous: str) -> CodeTable:
    """A=0 C=1 G=2 T=3 N=4 in either case; ambiguity codes -> N (4) or unknown (5)."""
    targets = {c: i for i, c in enumerate(SINGLES)} | {c.lower(): i for i, c in enumerate(SINGLES)}
    if ambiguous == "N":
        targets |= {c: 4 for c in AMBIGUITY + AMBIGUITY.lower()}
    return CodeTable(targets, SINGLES + SINGLES.lower(), _UNK_CODE)


_ACGTN_TABLES = {a: _acgtn_table(a) for a in ("N", "unk")}


def acgtn_codes(sample: str, ambiguous: str = "N", counter: Counter[str] | None = None) -> np.ndarray:
    """Codes A=0 C=1 G=2 T=3 N=4 (either case), 5 for anything else; ambiguity codes -> 4 or 5."""
    return _ACGTN_TABLES[ambiguous].codes(sample, Counter() if counter is None else counter, "dna")


def _acgtn_normal_form(ambiguous: str) -> dict[int, str]:
    """str.translate table: fold case of A C G T N, ambiguity codes -> N when `ambiguous == "N"`."""
    table = {ord(c.lower()): c for c in SINGLES}
    if ambiguous == "N":
        table |= {ord(c): "N" for c in AMBIGUITY + AMBIGUITY.lower()}
    return table


def _doubling(values: np.ndarray, k: int, combine: Any) -> np.ndarray:
    """`combine` folded over every window of k consecutive values, in O(log k) array passes:
    windows of 2p are built from windows of p, then k is assembled from its binary digits."""
    n = len(values) - k + 1
    windows = {1: values}
    p = 1
    while 2 * p <= k:
        w = windows[p]
        windows[2 * p] = combine(w[:-p], w[p:], p)
        p *= 2
    result, offset = None, 0
    for p in sorted(windows, reverse=True):
        if k & p:
            part = windows[p][offset : offset + n]
            result = part if result is None else combine(result, part, p)
            offset += p
    assert result is not None
    return result


def kmer_index(codes: np.ndarray, k: int) -> np.ndarray:
    """Base-4 index (uint16) of the k-mer at each of the L-k+1 starts, for codes A=0 C=1 G=2 T=3
    (other codes give meaningless indices: mask them with `kmer_whole`). Needs L >= k."""
    return _doubling((codes & 3).astype(np.uint16), k, lambda a, b, p: (a << (2 * p)) | b)


def kmer_whole(codes: np.ndarray, k: int) -> np.ndarray:
    """Mask of the starts whose k-mer is all A C G T."""
    return ~_doubling(codes >= 4, k, lambda a, b, p: a | b)


def _clean_ids(ids: Sequence[int], size: int) -> np.ndarray:
    """Ids as an array, specials other than <unk> dropped, out-of-range ids turned into <unk>."""
    a = np.asarray(ids, dtype=np.int64).reshape(-1)
    a = a[(a == UNK_ID) | (a >= N_SPECIAL) | (a < 0)]
    return np.where((a < 0) | (a >= size), UNK_ID, a)


def _kept(whole: np.ndarray, k: int) -> np.ndarray:
    """Of m blocks of k non-overlapping positions, the ones that give a token: the first of a
    whole (all A C G T) block, which is one k-mer, and every position of any other block."""
    keep = np.zeros((len(whole), k), dtype=bool)
    keep[whole, 0] = True
    keep[~whole] = True
    return keep


def _bytes_table(entries: Sequence[str], width: int) -> tuple[np.ndarray, np.ndarray]:
    """id -> its text as a row of `width` bytes, and id -> text length; specials are empty and
    <unk> is one _UNK_BYTE (`_to_text` turns it into unk_text)."""
    rows = np.zeros((N_SPECIAL + len(entries), width), dtype=np.uint8)
    lengths = np.zeros(len(rows), dtype=np.int64)
    rows[UNK_ID, 0], lengths[UNK_ID] = _UNK_BYTE, 1
    for i, text in enumerate(entries, start=N_SPECIAL):
        rows[i, : len(text)] = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
        lengths[i] = len(text)
    return rows, lengths


def _to_text(rows: np.ndarray, lengths: np.ndarray, ids: np.ndarray, unk_text: str) -> str:
    """The texts of `ids` joined, from a `_bytes_table`."""
    if rows.shape[1] == 1 or bool((lengths[ids] == rows.shape[1]).all()):
        data = rows[ids].tobytes() if rows.shape[1] > 1 else rows[ids, 0].tobytes()
    else:
        picked = rows[ids]
        data = picked[np.arange(rows.shape[1]) < lengths[ids][:, None]].tobytes()
    text = data.decode("ascii")
    return text.replace(chr(_UNK_BYTE), unk_text) if chr(_UNK_BYTE) in text else text


# ------------------------------------------------------------------------------------------------


class NucleotideTokenizer(TokenizerMixin):
    """One token per nucleotide, the base alphabet of the genomic language models (HyenaDNA,
    Nguyen et al. 2023; Caduceus, Schiff et al. 2024): A C G T N.

    Options: `iupac=True` adds the ambiguity codes R Y S W K M B D H V as their own tokens;
    `rna=True` adds U; `soft_mask="keep"` keeps lower-case (soft-masked repeat) letters as their own
    tokens, `"fold"` (default) upper-cases them; `ambiguous` ("N" or "unk") says what an ambiguity
    code outside the alphabet becomes. Where polyseq differs from those models: nothing is dropped,
    out-of-alphabet characters become N or <unk> and are counted in `replaced`.
    """

    type_name: ClassVar[str] = "dna.nucleotide"

    def __init__(self, iupac: bool = False, rna: bool = False, soft_mask: str = "fold", ambiguous: str = "N"):
        problems: list[str] = []
        _check_choice(problems, "iupac", iupac, (False, True))
        _check_choice(problems, "rna", rna, (False, True))
        _check_choice(problems, "soft_mask", soft_mask, ("fold", "keep"))
        _check_choice(problems, "ambiguous", ambiguous, ("N", "unk"))
        _raise(problems)
        self.iupac, self.rna, self.soft_mask, self.ambiguous = iupac, rna, soft_mask, ambiguous
        symbols = "ACGTN" + ("U" if rna else "") + (AMBIGUITY if iupac else "")
        if soft_mask == "keep":
            symbols += symbols.lower()
        self.vocab = Vocab(symbols)
        targets: dict[str, str] = {}
        for ch in IUPAC_BOTH_CASES:
            if ch in symbols:
                targets[ch] = ch
            elif ch.upper() in symbols:  # soft_mask="fold"
                targets[ch] = ch.upper()
            elif ch.upper() in AMBIGUITY and ambiguous == "N":
                targets[ch] = "n" if ch.islower() and soft_mask == "keep" else "N"
        ids = {c: self.vocab.stoi[t] for c, t in targets.items()}
        self._codes = CodeTable(ids, [c for c, t in targets.items() if c.upper() == t.upper()], UNK_ID)
        self._normal = {ord(c): t for c, t in targets.items() if c != t}
        self._rows, self._lengths = _bytes_table(self.vocab.content_tokens(), 1)
        #: characters outside the alphabet seen by encode (mapped to N or <unk>), with their counts
        self.replaced: Counter[str] = Counter()

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def normalize(self, sample: str) -> str:
        return sample.translate(self._normal)

    def encode_array(self, sample: str) -> np.ndarray:
        """The ids as a uint8 array (what `encode` returns as a list)."""
        return self._codes.codes(sample, self.replaced, self.type_name)

    def encode(self, sample: str) -> list[int]:
        return self.encode_array(sample).tolist()

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        ids = self.encode(sample)
        return ids, char_spans(len(ids))

    def decode(self, ids: Sequence[int]) -> str:
        return _to_text(self._rows, self._lengths, _clean_ids(ids, len(self._rows)), self.unk_text)

    def id_to_token(self, i: int) -> str:
        return self.vocab.itos[i] if 0 <= i < len(self.vocab) else SPECIAL_TOKENS[UNK_ID]

    def to_config(self) -> dict[str, Any]:
        return {"iupac": self.iupac, "rna": self.rna, "soft_mask": self.soft_mask, "ambiguous": self.ambiguous}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> NucleotideTokenizer:
        return cls(**config)


class KmerTokenizer(TokenizerMixin):
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
    """

    type_name: ClassVar[str] = "dna.kmer"

    def __init__(self, k: int = 6, overlap: bool = True, ambiguous: str = "N"):
        problems: list[str] = []
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 8:
            problems.append(f"k must be in 1..8, got {k!r}")
        _check_choice(problems, "overlap", overlap, (True, False))
        _check_choice(problems, "ambiguous", ambiguous, ("N", "unk"))
        _raise(problems)
        self.k, self.overlap, self.ambiguous = k, overlap, ambiguous
        self._dtype = np.uint16 if self.vocab_size <= 1 << 16 else np.uint32
        self._singles = np.array([N_SPECIAL + i for i in range(len(SINGLES))] + [UNK_ID], dtype=self._dtype)
        self._codes = _ACGTN_TABLES[ambiguous]
        self._normal = _acgtn_normal_form(ambiguous)
        self._decode_tables: tuple[np.ndarray, ...] | None = None
        #: characters outside A C G T N (either case) seen by encode, with their counts
        self.replaced: Counter[str] = Counter()

    @property
    def vocab_size(self) -> int:
        return FIRST_MERGED_ID + 4**self.k

    def normalize(self, sample: str) -> str:
        return sample.translate(self._normal)

    def encode_array(self, sample: str) -> np.ndarray:
        """The ids as a uint16 array (uint32 for k=8): what `encode` returns as a list."""
        return self._ids(self._codes.codes(sample, self.replaced, self.type_name))

    def _ids(self, codes: np.ndarray) -> np.ndarray:
        k, n = self.k, len(codes)
        if n < k:
            return self._singles[codes]
        all_acgt = bool(codes.max() < 4)
        if self.overlap:
            ids = kmer_index(codes, k).astype(self._dtype)
            ids += FIRST_MERGED_ID
            if all_acgt:
                return ids
            whole = kmer_whole(codes, k)
            ids = np.where(whole, ids, self._singles[codes[: n - k + 1]])
            return ids if whole[-1] else np.concatenate((ids, self._singles[codes[n - k + 1 :]]))
        m = n // k
        blocks = codes[: m * k].reshape(m, k)
        index = np.zeros(m, dtype=self._dtype)
        for j in range(k):
            index = (index << 2) | (blocks[:, j] & 3)
        index += FIRST_MERGED_ID
        tail = self._singles[codes[m * k :]]
        if all_acgt:
            return np.concatenate((index, tail))
        whole = (blocks < 4).all(axis=1)
        out = np.zeros((m, k), dtype=self._dtype)
        out[whole, 0] = index[whole]
        out[~whole] = self._singles[blocks[~whole]]
        return np.concatenate((out[_kept(whole, k)], tail))

    def encode(self, sample: str) -> list[int]:
        return self.encode_array(sample).tolist()

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        """Ids and spans: [i, i+k) for a k-mer starting at i, [i, i+1) for a single-nucleotide token."""
        codes = self._codes.codes(sample, self.replaced, self.type_name)
        return self._ids(codes).tolist(), spans_from_arrays(*self._spans(codes))

    def _spans(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Starts and ends of the tokens `_ids(codes)` gives, built the same way."""
        k, n = self.k, len(codes)
        if n < k:
            starts = np.arange(n)
            return starts, starts + 1
        if self.overlap:
            starts = np.arange(n - k + 1)
            whole = kmer_whole(codes, k)
            ends = starts + np.where(whole, k, 1)
            if whole[-1]:
                return starts, ends
            tail = np.arange(n - k + 1, n)
            return np.concatenate((starts, tail)), np.concatenate((ends, tail + 1))
        m = n // k
        whole = (codes[: m * k].reshape(m, k) < 4).all(axis=1)
        starts = np.arange(m * k).reshape(m, k)
        ends = starts + 1
        ends[whole, 0] += k - 1
        keep = _kept(whole, k)
        tail = np.arange(m * k, n)
        return np.concatenate((starts[keep], tail)), np.concatenate((ends[keep], tail + 1))

    def _tables(self) -> tuple[np.ndarray, ...]:
        """id -> text as bytes rows (+ lengths), and id -> first base; built on first decode."""
        if self._decode_tables is None:
            rows, lengths = _bytes_table(SINGLES, self.k)
            index = np.arange(4**self.k, dtype=np.int64)[:, None]
            digits = (index >> (2 * np.arange(self.k - 1, -1, -1))) & 3
            kmer_rows = np.frombuffer(b"ACGT", dtype=np.uint8)[digits]
            rows = np.concatenate((rows, kmer_rows))
            lengths = np.concatenate((lengths, np.full(len(kmer_rows), self.k)))
            self._decode_tables = (rows, lengths, rows[:, :1].copy(), np.minimum(lengths, 1))
        return self._decode_tables

    def decode(self, ids: Sequence[int]) -> str:
        rows, lengths, first_rows, first_lengths = self._tables()
        a = _clean_ids(ids, len(rows))
        if not self.overlap or a.size == 0:
            return _to_text(rows, lengths, a, self.unk_text)
        # the first base of every token but the last, which gives its whole k-mer (or its one base)
        head = _to_text(first_rows, first_lengths, a[:-1], self.unk_text)
        return head + _to_text(rows, lengths, a[-1:], self.unk_text)

    def id_to_token(self, i: int) -> str:
        if 0 <= i < N_SPECIAL:
            return SPECIAL_TOKENS[i]
        if N_SPECIAL <= i < FIRST_MERGED_ID:
            return SINGLES[i - N_SPECIAL]
        if FIRST_MERGED_ID <= i < self.vocab_size:
            index = i - FIRST_MERGED_ID
            return "".join("ACGT"[(index >> (2 * (self.k - 1 - j))) & 3] for j in range(self.k))
        return SPECIAL_TOKENS[UNK_ID]

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
        self._normal = _acgtn_normal_form(ambiguous)
        base = {c: N_SPECIAL + i for i, c in enumerate(SINGLES)} | {c.lower(): N_SPECIAL + i for i, c in enumerate(SINGLES)}
        if ambiguous == "N":
            base |= {c: N_SPECIAL + 4 for c in AMBIGUITY + AMBIGUITY.lower()}
        self._codes = CodeTable(base, SINGLES + SINGLES.lower(), UNK_ID)
        self._rows, self._lengths = _bytes_table(SINGLES, 1)
        self.bpe: Any = None
        if model is not None:
            from polyseq.tokenizers.subword import SymbolBPE

            self.bpe = SymbolBPE.from_config(dict(model))
        #: characters outside A C G T N (either case) seen by encode or train, with their counts
        self.replaced: Counter[str] = Counter()

    @property
    def is_trained(self) -> bool:
        return self.bpe is not None

    def _model(self) -> Any:
        if self.bpe is None:
            raise PolyseqError("the dna.bpe tokenizer has no merges yet: call train(samples) first "
                               "(or load a trained tokenizer file)")
        return self.bpe

    def _base(self, sample: str) -> list[int]:
        return self._codes.codes(sample, self.replaced, self.type_name).tolist()

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        from polyseq.tokenizers.subword import SymbolBPE

        size = vocab_size or self.target_vocab_size
        self.bpe = SymbolBPE.train((self._base(s) for s in samples), n_base=FIRST_MERGED_ID,
                                   vocab_size=size, min_frequency=self.min_frequency)
        self.target_vocab_size = size

    @property
    def vocab_size(self) -> int:
        return self._model().vocab_size

    def normalize(self, sample: str) -> str:
        return sample.translate(self._normal)

    def encode(self, sample: str) -> list[int]:
        return self._model().encode(self._base(sample))

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        return self._model().encode_with_offsets(self._base(sample))  # one base symbol per character

    def decode(self, ids: Sequence[int]) -> str:
        base = _clean_ids(self._model().decode(list(ids)), len(self._rows))
        return _to_text(self._rows, self._lengths, base, self.unk_text)

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
