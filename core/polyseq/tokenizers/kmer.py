"""`KmerTokenizer`: k-mers over any alphabet, built with numpy array arithmetic.

A domain configures it (class attributes, or constructor keywords of the same names)::

    class Codon(polyseq.KmerTokenizer):
        type_name = "rna.codon"
        alphabet = "ACGU"
        k = 3
        fold_case = "upper"

Tokens (DNABERT's k-mers, Ji et al. 2021, generalised): windows of k symbols start every `stride`
symbols (stride 1: overlapping, DNABERT; stride k, the default: non-overlapping, as the
Nucleotide Transformer, Dalla-Torre et al. 2023); each window whose symbols are all in the
alphabet is one k-mer token. A sample of L >= k symbols has windows at 0, stride, ..., last =
((L - k) // stride) * stride.

The tail rule, which makes every length round-trip: decoding takes the first `stride` symbols of
every k-mer but the last window's, which gives all k; the r = L - last - k < stride symbols after
the last window follow as single-symbol tokens (stride 1: none; stride k: the L mod k left over).
A sample shorter than k is all single-symbol tokens; the empty sample, no token.

What is not a k-mer (the rule of DNA's k-mer tokenizer, generalised): a window holding a symbol
outside the alphabet - one of `extra` (tokens of their own, never inside a k-mer, as DNA's N),
or a character the tokenizer cannot read, which is <unk> - gives single-symbol tokens instead:
its first `stride` symbols (the last window: all k). `replace` maps characters to symbols first
(IUPAC ambiguity codes -> N), after `fold_case`; `replaced` counts every character read as
something else or as <unk>. Decoding an <unk> gives U+FFFD, so a sample round-trips exactly when
every character is in the alphabet, `extra` or `replace` (in either case when folding).

Ids: 0..6 the special tokens, then one single-symbol token per alphabet symbol and per `extra`
symbol, in order, then the len(alphabet)**k k-mers in lexicographic order of the alphabet
(itertools.product). Single-character alphabets are read with a translate table and k-mer ids
are computed in O(log k) array passes (`encode_array`): no Python per symbol. Multi-character
symbols ("Ala", "Gly") are split with a regex first, then go the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from polyseq.errors import PolyseqError
from polyseq.tokenizers.base import N_SPECIAL, SPECIAL_TOKENS, UNK_ID, TokenizerMixin
from polyseq.tokenizers.offsets import Span, spans_from_arrays
from polyseq.tokenizers.symbols import (
    FOLD_CASES, UNSET, CharCodes, PieceTable, as_text, check_choice, check_config, check_int, check_replace,
    check_symbols, clean_ids, code_dtype, fold, fold_char, np, option, raise_problems, symbol_splitter,
    symbols_config,
)

MAX_KMERS = 1 << 24  # len(alphabet) ** k at most: a larger table is no use as an embedding
_CONFIG_KEYS = ("alphabet", "k", "stride", "fold_case", "extra", "replace")


def _doubling(values: np.ndarray, k: int, combine: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> np.ndarray:
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


class KmerTokenizer(TokenizerMixin):
    """k-mers of an alphabet; see the module docstring for the tokens, the tail rule and the ids.

    Options (class attributes; constructor keywords override them):
        alphabet: the symbols of k-mers: a string of one-character symbols or a list of symbols.
            None: learned by `train(samples)`, the most frequent symbols of the data (ties by
            symbol) up to len(alphabet)**k <= 2**24 (and `vocab_size`, when given).
        k: the k-mer length (default 3).
        stride: where windows start: 1 overlapping, k non-overlapping (the default, None, means k).
        fold_case: None, "upper" or "lower".
        extra: symbols that are tokens of their own but never part of a k-mer (DNA's N).
        replace: characters -> the symbol to read instead (one character each), after folding.
    """

    type_name: ClassVar[str] = "kmer"
    trainable: ClassVar[bool] = True
    sample_description: ClassVar[str] = "strings"

    alphabet: str | Sequence[str] | None = None
    k: int = 3
    stride: int | None = None
    fold_case: str | None = None
    extra: str | Sequence[str] = ""
    replace: Mapping[str, str] = MappingProxyType({})

    def __init__(self, alphabet: str | Sequence[str] | None = UNSET, *, k: int = UNSET, stride: int | None = UNSET,
                 fold_case: str | None = UNSET, extra: str | Sequence[str] = UNSET,
                 replace: Mapping[str, str] = UNSET):
        alphabet = option(self, "alphabet", alphabet)
        k, stride = option(self, "k", k), option(self, "stride", stride)
        fold_case = option(self, "fold_case", fold_case)
        extra, replace = option(self, "extra", extra), option(self, "replace", replace)
        problems: list[str] = []
        check_int(problems, "k", k, 1)
        k_ok = isinstance(k, int) and not isinstance(k, bool) and k >= 1
        stride = k if stride is None and k_ok else stride
        if k_ok and (isinstance(stride, bool) or not isinstance(stride, int) or not 1 <= stride <= k):
            problems.append(f"stride must be an integer in 1..k={k} (1: overlapping k-mers, k: non-overlapping), "
                            f"got {stride!r}")
        check_choice(problems, "fold_case", fold_case, FOLD_CASES)
        folding = fold_case if fold_case in FOLD_CASES else None
        letters = None if alphabet is None else check_symbols(problems, "alphabet", alphabet, folding)
        if alphabet is not None and not letters:
            problems.append(f"alphabet must hold at least one symbol, got {alphabet!r}")
        extras = check_symbols(problems, "extra", extra, folding)
        both = [s for s in extras if s in (letters or ())]
        if both:
            problems.append(f"extra symbols {both[:5]!r} are also in the alphabet")
        replace = check_replace(problems, replace, folding)
        if letters is not None:
            outside = [v for v in replace.values() if v not in letters and v not in extras]
            if outside:
                problems.append(f"replace maps to {outside[:5]!r}, which neither the alphabet nor extra holds")
        shadowed = [key for key in replace if key in (letters or ()) or key in extras]
        if shadowed:
            problems.append(f"replace keys {shadowed[:5]!r} are symbols already, which would never be read as such")
        if letters is not None and k_ok and len(letters) ** k > MAX_KMERS:
            problems.append(f"an alphabet of {len(letters)} symbols with k={k} gives {len(letters) ** k:,} k-mers; "
                            f"at most {MAX_KMERS:,}: choose a smaller k or alphabet")
        raise_problems(problems)
        self.k, self.stride, self.fold_case, self.extra, self.replace = k, stride, fold_case, tuple(extras), replace
        self._replace_table = str.maketrans(replace) if replace else None
        self._learns = letters is None
        #: characters encode read as another symbol (`replace`) or as <unk>, with their counts
        self.replaced: Counter[str] = Counter()
        self.alphabet = None
        if letters is not None:
            self._set_alphabet(letters)

    def _set_alphabet(self, letters: Sequence[str]) -> None:
        self.alphabet = tuple(letters)
        symbols = [*self.alphabet, *self.extra]
        self._base, self._unknown = len(self.alphabet), len(symbols)  # symbol codes: alphabet, extra, unknown
        self._first_kmer = N_SPECIAL + len(symbols)
        self._n_kmers = self._base**self.k
        self._dtype = code_dtype(self._first_kmer + self._n_kmers - 1)
        self._index_dtype = code_dtype(max(self._n_kmers - 1, 0xFFFF))
        self._symbol_code = {s: i for i, s in enumerate(symbols)}
        self._singles = np.array([N_SPECIAL + i for i in range(len(symbols))] + [UNK_ID], dtype=self._dtype)
        self._code_of_id = np.array([self._unknown] * N_SPECIAL + list(range(len(symbols))), dtype=np.int64)
        self._text = PieceTable([*symbols, self.unk_text])
        self._digit_table: np.ndarray | None = None  # id -> its symbol codes, built on first decode
        self._byte_rows: np.ndarray | None = None  # id -> the bytes of its symbols, with the table
        self._first_bytes: np.ndarray | None = None
        self._split = symbol_splitter(None, symbols)
        self._codes = CharCodes(self._code_of, self._quiet, self._unknown) if self._split is None else None

    def _code_of(self, c: str) -> int:
        c = fold_char(c, self.fold_case) if self.fold_case else c
        return self._symbol_code.get(self.replace.get(c, c), self._unknown)

    def _quiet(self, c: str) -> bool:
        return (fold_char(c, self.fold_case) if self.fold_case else c) in self._symbol_code

    def _require_alphabet(self) -> None:
        if self.alphabet is None:
            raise PolyseqError(f"the {self.type_name} tokenizer has no alphabet yet: call train(samples) first, "
                               "or give alphabet=")

    @property
    def is_trained(self) -> bool:
        return self.alphabet is not None

    @property
    def vocab_size(self) -> int:
        self._require_alphabet()
        return self._first_kmer + self._n_kmers

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        """Learn the alphabet when none was given (see the class docstring); otherwise nothing to learn."""
        if not self._learns:
            return
        split = symbol_splitter(None, self.extra)
        counts: Counter[str] = Counter()
        for sample in samples:
            normal = self._normal(as_text(sample, self))
            counts.update(split.findall(normal) if split is not None else normal)
        for s in self.extra:
            counts.pop(s, None)
        ranked = sorted(counts, key=lambda s: (-counts[s], s))
        if not ranked:
            raise PolyseqError(f"the {self.type_name} tokenizer found no symbols to learn an alphabet from")

        def too_big(size: int) -> bool:
            total = N_SPECIAL + size + len(self.extra) + size**self.k
            return size**self.k > MAX_KMERS or (vocab_size is not None and total > vocab_size)

        size = len(ranked)
        while size > 1 and too_big(size):
            size -= 1
        if too_big(size):
            raise_problems([f"vocab_size must be at least {N_SPECIAL + len(self.extra) + 2} (k-mers of one symbol), "
                            f"got {vocab_size!r}"])
        self._set_alphabet(ranked[:size])

    # ---- symbols -> codes -> ids ----------------------------------------------------------------------

    def _normal(self, text: str) -> str:
        text = fold(text, self.fold_case)
        return text.translate(self._replace_table) if self._replace_table else text

    def normalize(self, sample: str) -> str:
        return self._normal(as_text(sample, self))

    def codes(self, sample: str, counter: Counter[str] | None = None) -> np.ndarray:
        """The symbol code of each symbol of `sample`: i for alphabet[i], len(alphabet) + j for
        extra[j], len(alphabet) + len(extra) for anything else. Counts into `replaced` (or `counter`)."""
        return self._symbol_codes(as_text(sample, self), self.replaced if counter is None else counter)[0]

    def _symbol_codes(self, text: str, counter: Counter[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """Codes, and (multi-character symbols only) each symbol's start and end character."""
        self._require_alphabet()
        if self._codes is not None:
            return self._codes.array(text, counter), None
        normal = self._normal(text)
        matches = list(self._split.finditer(normal))  # type: ignore[union-attr]
        codes = np.array([self._symbol_code.get(m.group(), self._unknown) for m in matches], dtype=np.int64)
        bounds = np.array([m.span() for m in matches], dtype=np.int64).reshape(-1, 2)
        for m, code in zip(matches, codes.tolist()):
            written = text[m.start() : m.end()]
            if code == self._unknown or fold(written, self.fold_case) != m.group():
                counter[written] += 1
        return codes, bounds

    def windows(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each window (starts 0, stride, 2*stride...; none when len(codes) < k): the index of its
        k-mer among the len(alphabet)**k, and whether it is whole (all alphabet symbols; the index of
        a window that is not is meaningless)."""
        self._require_alphabet()
        if len(codes) < self.k:
            return np.zeros(0, dtype=self._index_dtype), np.zeros(0, dtype=bool)
        return self._index(codes), ~self._broken(codes)

    def _digits(self, codes: np.ndarray) -> np.ndarray:
        base = self._base
        if base & (base - 1) == 0:  # a power of two: a mask keeps every code a digit
            return (codes & (base - 1)).astype(self._index_dtype)
        return np.minimum(codes, base - 1).astype(self._index_dtype)

    def _index(self, codes: np.ndarray) -> np.ndarray:
        k, stride, base = self.k, self.stride, self._base
        shift = base.bit_length() - 1 if base & (base - 1) == 0 else None
        if stride == 1:
            digits = self._digits(codes)
            if shift is not None:
                return _doubling(digits, k, lambda a, b, p: (a << (shift * p)) | b)
            return _doubling(digits, k, lambda a, b, p: a * (base**p) + b)
        view = np.lib.stride_tricks.sliding_window_view(codes, k)[::stride]  # (windows, k): one column per position in the window
        index = self._digits(view[:, 0])
        for j in range(1, k):
            if shift is not None:
                index <<= shift
                index |= self._digits(view[:, j])
            else:
                index *= base
                index += self._digits(view[:, j])
        return index

    def _broken(self, codes: np.ndarray) -> np.ndarray:
        outside = codes >= self._base
        if self.stride == 1:
            return _doubling(outside, self.k, lambda a, b, p: a | b)
        return np.lib.stride_tricks.sliding_window_view(outside, self.k)[:: self.stride].any(axis=1)

    def _tokens(self, codes: np.ndarray, with_spans: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ids, and (with_spans) each token's start and end symbol position."""
        k, stride, n, singles = self.k, self.stride, len(codes), self._singles
        none = np.zeros(0, dtype=np.int64)
        if n < k:
            positions = np.arange(n) if with_spans else none
            return singles[codes], positions, positions + 1 if with_spans else none
        m = (n - k) // stride + 1  # windows
        last = (m - 1) * stride
        kmers = self._index(codes).astype(self._dtype)
        kmers += self._first_kmer
        tail = np.arange(last + k, n) if with_spans else none
        if int(codes.max()) < self._base:  # every window whole: the common case
            ids = np.concatenate((kmers, singles[codes[last + k :]])) if last + k < n else kmers
            if not with_spans:
                return ids, none, none
            starts = np.arange(m) * stride
            return ids, np.concatenate((starts, tail)), np.concatenate((starts + k, tail + 1))
        whole = ~self._broken(codes)
        if stride == 1 and not with_spans:  # the hot case: each window is one token, no grid needed
            ids = np.where(whole, kmers, singles[codes[:m]])
            return (ids if whole[-1] else np.concatenate((ids, singles[codes[m:]]))), none, none
        # every window but the last: its k-mer, or the single tokens of its first `stride` symbols
        blocks = codes[:last].reshape(m - 1, stride)
        w = whole[:-1]
        head = np.empty(blocks.shape, dtype=self._dtype)
        head[w, 0] = kmers[:-1][w]
        head[~w] = singles[blocks[~w]]
        keep = np.ones(blocks.shape, dtype=bool)
        keep[w, 1:] = False
        last_ids = kmers[-1:] if whole[-1] else singles[codes[last : last + k]]
        ids = np.concatenate((head[keep], last_ids, singles[codes[last + k :]]))
        if not with_spans:
            return ids, none, none
        starts = np.arange(last).reshape(m - 1, stride)
        ends = starts + 1
        ends[w, 0] += k - 1
        last_starts = np.array([last]) if whole[-1] else np.arange(last, last + k)
        last_ends = np.array([last + k]) if whole[-1] else last_starts + 1
        return (ids, np.concatenate((starts[keep], last_starts, tail)),
                np.concatenate((ends[keep], last_ends, tail + 1)))

    def encode_array(self, sample: str) -> np.ndarray:
        """The ids as a numpy array (what `encode` returns as a list)."""
        codes, _ = self._symbol_codes(as_text(sample, self), self.replaced)
        return self._tokens(codes, with_spans=False)[0]

    def encode(self, sample: str) -> list[int]:
        return self.encode_array(sample).tolist()

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        """Ids and spans: [i*stride, i*stride + k) for the k-mer of window i, a symbol's own
        characters for a single-symbol token (spans overlap when stride < k)."""
        codes, bounds = self._symbol_codes(as_text(sample, self), self.replaced)
        ids, starts, ends = self._tokens(codes, with_spans=True)
        if bounds is not None:  # symbol positions -> character positions
            starts, ends = bounds[starts, 0], bounds[ends - 1, 1]
        return ids.tolist(), spans_from_arrays(starts, ends)

    # ---- ids -> text ----------------------------------------------------------------------------------

    def _table(self) -> np.ndarray | None:
        """id -> its symbol codes (`_digit_rows_of` of every id), built on first decode when it holds
        at most 4M codes; with it, when every symbol is one character, id -> those characters as bytes."""
        if self._digit_table is None and self._n_kmers * self.k <= 1 << 22:
            self._digit_table = self._digit_rows_of(np.arange(self._first_kmer + self._n_kmers))
            as_bytes = self._text.byte_table()
            self._byte_rows = None if as_bytes is None else as_bytes[self._digit_table]
            self._first_bytes = None if as_bytes is None else self._byte_rows[:, 0].copy()
        return self._digit_table

    def _digit_rows_of(self, ids: np.ndarray) -> np.ndarray:
        """(len(ids), k) symbol codes: a k-mer's k symbols; a single token's one symbol, then zeros."""
        powers = self._base ** np.arange(self.k - 1, -1, -1, dtype=np.int64)
        rows = (ids[:, None] - self._first_kmer) // powers % self._base
        single = ids < self._first_kmer
        rows[single] = 0
        rows[single, 0] = self._code_of_id[ids[single]]
        return rows.astype(code_dtype(self._unknown))

    def decode(self, ids: Sequence[int]) -> str:
        a = clean_ids(ids, self.vocab_size)
        if a.size == 0:
            return ""
        k, stride = self.k, self.stride
        is_kmer = a >= self._first_kmer
        kmer_at = np.flatnonzero(is_kmer)
        if kmer_at.size == 0:
            return self._text.join(self._code_of_id[a])
        last_kmer = int(kmer_at[-1])
        last_whole = a.size - 1 - last_kmer < stride  # the last window's k-mer: gives all k symbols
        table = self._table()
        if stride == 1:  # one symbol per token, then the last k-mer's k - 1 others
            if table is not None and self._byte_rows is not None:
                data = self._first_bytes[a].tobytes()
                return self._text.text_of_bytes(data + self._byte_rows[a[-1], 1:].tobytes() if last_whole else data)
            codes = table[a, 0] if table is not None else self._digit_rows_of(a)[:, 0]
            if last_whole:
                codes = np.concatenate((codes, self._digit_rows_of(a[-1:])[0, 1:]))
            return self._text.join(codes)
        count = np.where(is_kmer, stride, 1)
        if last_whole:
            count[last_kmer] = k
        whole_rows = bool((count == k).all())
        if table is not None and self._byte_rows is not None:
            rows = self._byte_rows[a]
            return self._text.text_of_bytes((rows if whole_rows else rows[np.arange(k) < count[:, None]]).tobytes())
        rows = table[a] if table is not None else self._digit_rows_of(a)
        return self._text.join(rows.reshape(-1) if whole_rows else rows[np.arange(k) < count[:, None]])

    def id_to_token(self, i: int) -> str:
        self._require_alphabet()
        if 0 <= i < N_SPECIAL:
            return SPECIAL_TOKENS[i]
        if N_SPECIAL <= i < self._first_kmer:
            return self._text.pieces[i - N_SPECIAL]
        if self._first_kmer <= i < self.vocab_size:
            index, letters = i - self._first_kmer, []
            for _ in range(self.k):
                index, digit = divmod(index, self._base)
                letters.append(self.alphabet[digit])  # type: ignore[index]
            return "".join(reversed(letters))
        return SPECIAL_TOKENS[UNK_ID]

    # ---- saving ---------------------------------------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        return {"alphabet": None if self.alphabet is None else symbols_config(self.alphabet), "k": self.k,
                "stride": self.stride, "fold_case": self.fold_case, "extra": symbols_config(self.extra),
                "replace": dict(self.replace)}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> KmerTokenizer:
        check_config(config, _CONFIG_KEYS, cls.type_name)
        return cls(**config)
