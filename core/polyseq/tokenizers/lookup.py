"""`LookupTokenizer`: symbols -> ids through a vocabulary table, configured rather than written.

Most domains' first tokenizer is a table lookup: nucleotides, residues, SMILES atoms, characters.
A domain configures this class instead of writing one, with class attributes (constructor
keywords of the same names override them)::

    class Nucleotide(polyseq.LookupTokenizer):
        type_name = "rna.nucleotide"
        alphabet = "ACGU"
        fold_case = "upper"

The stages, with Hugging Face tokenizers' names:

- normalise: `fold_case` ("upper"/"lower", per character, see `symbols.fold_char`), then
  `replace` (one character -> another, e.g. IUPAC ambiguity codes -> "N"); `normalize()` returns
  the result, which is what `decode(encode(x))` gives back;
- pre-tokenise: the `symbols` regex (e.g. bracket atoms), else the alphabet's multi-character
  symbols, else one code point per symbol; every character lands in some symbol;
- model: the vocabulary table. A symbol it lacks falls back to its UTF-8 bytes (`<0x41>`-style
  tokens, as HF tokenizers' `byte_fallback` and SentencePiece), so nothing is ever lost, or to
  <unk> (`fallback="unk"`, which decodes to U+FFFD);
- decode: the symbols side by side; runs of byte tokens are reassembled as UTF-8.

Ids: 0..6 the special tokens; with `fallback="bytes"` 7..262 are bytes 0x00..0xFF (the ids the
`bytes` tokenizer gives them); then the alphabet in order; then the symbols `train()` learned,
most frequent first (ties by symbol). Strings of single-character symbols are encoded with a
translate table (numpy for non-ASCII text): no Python per character.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from polyseq.errors import PolyseqError
from polyseq.tokenizers.base import N_SPECIAL, SPECIAL_TOKENS, UNK_ID, TokenizerMixin
from polyseq.tokenizers.offsets import Span, char_spans, spans_from_arrays
from polyseq.tokenizers.symbols import (
    BYTE_TOKENS, FOLD_CASES, UNSET, CharCodes, PieceTable, as_text, check_choice, check_config, check_int,
    check_replace, check_symbols, clean_ids, code_dtype, fold, fold_char, np, option, raise_problems, symbol_splitter,
    symbols_config,
)

_MISS = -1  # what the symbol table answers for a symbol it lacks
_CONFIG_KEYS = ("alphabet", "learn", "fold_case", "replace", "symbols", "fallback", "min_freq", "max_size", "vocab")


class _Ids(dict):
    """symbol -> id, `_MISS` for a symbol the vocabulary lacks: `map(ids.__getitem__, symbols)` runs in C."""

    def __missing__(self, symbol: str) -> int:
        return _MISS


class LookupTokenizer(TokenizerMixin):
    """A vocabulary table over symbols, lossless by default (see the module docstring for the stages).

    Options (class attributes; constructor keywords override them):
        alphabet: the symbols always in the vocabulary, in id order: a string of one-character
            symbols or a list of symbols. None: none, the vocabulary is learned.
        learn: whether `train(samples)` adds the symbols of the data (after the alphabet, most
            frequent first). Default: True when there is no alphabet.
        fold_case: None, "upper" or "lower".
        replace: characters -> the character to read instead, applied after folding.
        symbols: a regex (no capturing groups) matching one symbol, e.g. r"\\[[^\\]]+]|Cl|Br".
        fallback: "bytes" or "unk", for a symbol outside the vocabulary. Default: "bytes" when the
            vocabulary is learned (every string round-trips exactly), "unk" for a fixed alphabet.
        min_freq: how often `train` must see a symbol to keep it.
        max_size: the most ids `train` may give the vocabulary in all (special, byte and
            alphabet ids included); None: no limit.

    `vocab` (keyword only) is a learned vocabulary as `to_config` saves it: every symbol in id
    order; alphabet symbols missing from it are put after it, so a later, longer alphabet moves no id.
    `replaced` counts what encode met outside the vocabulary as given (symbols replaced by
    `replace`, or encoded by the fallback), as written in the sample.
    """

    type_name: ClassVar[str] = "lookup"
    trainable: ClassVar[bool] = True
    sample_description: ClassVar[str] = "strings"  # what encode accepts, for its error message

    alphabet: str | Sequence[str] | None = None
    learn: bool | None = None
    fold_case: str | None = None
    replace: Mapping[str, str] = MappingProxyType({})
    symbols: str | None = None
    fallback: str | None = None
    min_freq: int = 1
    max_size: int | None = None

    def __init__(self, alphabet: str | Sequence[str] | None = UNSET, *, learn: bool | None = UNSET,
                 fold_case: str | None = UNSET, replace: Mapping[str, str] = UNSET, symbols: str | None = UNSET,
                 fallback: str | None = UNSET, min_freq: int = UNSET, max_size: int | None = UNSET,
                 vocab: Sequence[str] | None = None):
        alphabet = option(self, "alphabet", alphabet)
        learn = option(self, "learn", learn)
        learn = alphabet is None if learn is None else learn
        fold_case = option(self, "fold_case", fold_case)
        replace = option(self, "replace", replace)
        symbols = option(self, "symbols", symbols)
        fallback = option(self, "fallback", fallback)
        fallback = ("bytes" if learn is True else "unk") if fallback is None else fallback
        min_freq, max_size = option(self, "min_freq", min_freq), option(self, "max_size", max_size)

        problems: list[str] = []
        check_choice(problems, "fold_case", fold_case, FOLD_CASES)
        check_choice(problems, "learn", learn, (True, False))
        check_choice(problems, "fallback", fallback, ("bytes", "unk"))
        folding = fold_case if fold_case in FOLD_CASES else None
        taken = BYTE_TOKENS if fallback == "bytes" else ()
        letters = [] if alphabet is None else check_symbols(problems, "alphabet", alphabet, folding, taken=taken)
        if alphabet is None and learn is False:
            problems.append("alphabet is None and learn is False: the vocabulary would be empty; give an alphabet "
                            "or learn=True")
        replace = check_replace(problems, replace, folding)
        if letters and learn is False:
            outside = [v for v in replace.values() if v not in letters]
            if outside:
                problems.append(f"replace maps to {outside[:5]!r}, which the alphabet lacks")
        shadowed = [k for k in replace if k in letters]
        if shadowed:
            problems.append(f"replace keys {shadowed[:5]!r} are alphabet symbols, which would never be read as such")
        splitter = self._check_symbols_regex(problems, symbols, letters)
        check_int(problems, "min_freq", min_freq, 1)
        self.fallback = fallback
        self.alphabet = None if alphabet is None else tuple(letters)
        self._check_size(problems, "max_size", max_size)
        if vocab is not None:
            if learn is not True:
                problems.append("vocab (a learned vocabulary) is given but learn is False")
            vocab = check_symbols(problems, "vocab", vocab, folding, single=splitter is None, taken=taken)
        raise_problems(problems)

        self.learn, self.fold_case, self.replace, self.symbols = learn, fold_case, replace, symbols
        self.min_freq, self.max_size = min_freq, max_size
        self._split = splitter
        self._findall = splitter.findall if splitter is not None else None
        self._as_written = fold_case is None and not replace  # normalising changes nothing
        self._replace_table = str.maketrans(replace) if replace else None
        self._first = N_SPECIAL + len(taken)  # the first symbol id
        #: symbols encode met outside the vocabulary as given (replaced or fallen back), with counts
        self.replaced: Counter[str] = Counter()
        self._set_vocab(list(vocab) if vocab is not None else (None if learn else []))

    @staticmethod
    def _check_symbols_regex(problems: list[str], symbols: Any, letters: list[str]) -> re.Pattern[str] | None:
        if symbols is None:
            return symbol_splitter(None, letters)
        if not isinstance(symbols, str) or not symbols:
            problems.append(f"symbols must be a regular expression (a non-empty string) or None, got {symbols!r}")
            return None
        try:
            pattern = re.compile(symbols)
        except re.error as e:
            problems.append(f"symbols is not a valid regular expression: {e} (in {symbols!r})")
            return None
        if pattern.groups:
            problems.append(f"symbols must not capture (write (?:...) for a group), got {symbols!r}")
        if pattern.match(""):
            problems.append(f"symbols must not match the empty string, got {symbols!r}")
        return symbol_splitter(symbols, letters)

    def _itos_fixed(self) -> tuple[str, ...]:
        """The tokens before the symbols: special tokens, then byte tokens with fallback="bytes"."""
        return SPECIAL_TOKENS + (BYTE_TOKENS if self.fallback == "bytes" else ())

    def _fixed_size(self) -> int:
        """The ids every vocabulary of these options holds: special tokens, byte tokens, alphabet."""
        return N_SPECIAL + (256 if self.fallback == "bytes" else 0) + len(self.alphabet or ())

    def _check_size(self, problems: list[str], name: str, value: Any) -> None:
        fixed = self._fixed_size()
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < fixed:
            parts = f"{N_SPECIAL} special tokens" + (" + 256 byte tokens" if self.fallback == "bytes" else "")
            parts += f" + {len(self.alphabet)} alphabet symbols" if self.alphabet else ""
            hint = "; fallback='unk' leaves out the byte tokens" if self.fallback == "bytes" else ""
            problems.append(f"{name} must be an integer >= {fixed} ({parts}) or None, got {value!r}{hint}")

    # ---- the vocabulary ------------------------------------------------------------------------------

    def _set_vocab(self, content: list[str] | None) -> None:
        self._itos: list[str] | None = None
        if content is None:
            return
        known = set(content)
        symbols = [*content, *(a for a in self.alphabet or () if a not in known)]
        self._itos = [*self._itos_fixed(), *symbols]
        self._ids = _Ids(zip(symbols, range(self._first, len(self._itos))))
        self._lookup = self._ids.__getitem__
        pieces: list[str | None] = [None] * self._first + symbols  # decode removes specials and bytes first
        pieces[UNK_ID] = self.unk_text
        self._pieces = PieceTable(pieces)
        self._dtype = code_dtype(len(self._itos))
        self._codes: CharCodes | None = None
        if self._split is None:  # one code point per symbol: a character table
            self._expand = len(self._itos)  # code of a character whose bytes must be spelled out
            self._codes = CharCodes(self._code_of, self._quiet, self._expand)
            self._ascii_expands = any(self._codes.ascii_code(chr(c)) == self._expand for c in range(128))

    def _normal_char(self, c: str) -> str:
        c = fold_char(c, self.fold_case) if self.fold_case else c
        return self.replace.get(c, c)

    def _code_of(self, c: str) -> int:
        """The id of character `c` (its byte id, `_expand` for several bytes, when the vocabulary lacks it)."""
        normal = self._normal_char(c)
        i = self._ids.get(normal)
        if i is not None:
            return i
        if self.fallback == "unk":
            return UNK_ID
        data = normal.encode("utf-8", "surrogatepass")
        return N_SPECIAL + data[0] if len(data) == 1 else self._expand

    def _quiet(self, c: str) -> bool:
        """Whether `c` is a vocabulary symbol as written (up to case): not counted in `replaced`."""
        return (fold_char(c, self.fold_case) if self.fold_case else c) in self._ids

    def _table(self) -> list[str]:
        if self._itos is None:
            raise PolyseqError(f"the {self.type_name} tokenizer has no vocabulary yet: call train(samples) first "
                               "(or load a trained tokenizer file)")
        return self._itos

    @property
    def is_trained(self) -> bool:
        return self._itos is not None

    @property
    def vocab_size(self) -> int:
        return len(self._table())

    def vocab_symbols(self) -> list[str]:
        """The vocabulary's symbols in id order, without the special and byte tokens."""
        return self._table()[self._first :]

    def train(self, samples: Iterable[str], vocab_size: int | None = None) -> None:
        """Learn the vocabulary: the alphabet, then every symbol of `samples` seen `min_freq` times,
        most frequent first, up to `vocab_size` (default `max_size`) ids in all. A fixed alphabet
        (learn=False) has nothing to learn: the vocabulary stays as it is."""
        if not self.learn:
            return
        size = self.max_size if vocab_size is None else vocab_size
        problems: list[str] = []
        self._check_size(problems, "vocab_size" if vocab_size is not None else "max_size", size)
        raise_problems(problems)
        counts: Counter[str] = Counter()
        for sample in samples:
            normal = self._normal(as_text(sample, self))
            counts.update(self._split.findall(normal) if self._split is not None else normal)
        skip = {*(self.alphabet or ()), *self._itos_fixed()}
        ranked = sorted((s for s, c in counts.items() if c >= self.min_freq and s not in skip),
                        key=lambda s: (-counts[s], s))
        if size is not None:
            ranked = ranked[: size - self._fixed_size()]
        self._set_vocab([*(self.alphabet or ()), *ranked])

    # ---- encode and decode --------------------------------------------------------------------------

    def _normal(self, text: str) -> str:
        if self.fold_case is not None:
            text = fold(text, self.fold_case)
        return text.translate(self._replace_table) if self._replace_table is not None else text

    def normalize(self, sample: str) -> str:
        return self._normal(as_text(sample, self))

    def encode(self, sample: str) -> list[int]:
        if not isinstance(sample, str) or self._itos is None:
            as_text(sample, self)
            self._table()
        if self._codes is not None:
            if not self._ascii_expands and sample.isascii():
                return self._codes.as_list(sample, self.replaced)
            return self._encode_chars(sample, with_spans=False)[0].tolist()
        # symbols by regex, the hot path of atom-level tokenizers: findall and a dict lookup, in C
        ids = list(map(self._lookup, self._findall(sample if self._as_written else self._normal(sample))))
        if _MISS in ids or self._replace_table is not None:
            return self._encode_symbols(sample, with_spans=False)[0]
        return ids

    def encode_array(self, sample: str) -> np.ndarray:
        """The ids as a numpy array (what `encode` returns as a list)."""
        text = as_text(sample, self)
        self._table()
        if self._codes is None:
            return np.array(self._encode_symbols(text, with_spans=False)[0], dtype=self._dtype)
        return self._encode_chars(text, with_spans=False)[0]

    def encode_with_offsets(self, sample: str) -> tuple[list[int], list[Span]]:
        """Ids and spans: a symbol's characters; each byte token of a character the vocabulary
        lacks gets that character's span."""
        text = as_text(sample, self)
        self._table()
        if self._codes is None:
            ids, spans = self._encode_symbols(text, with_spans=True)
            return ids, spans or []
        array, spans = self._encode_chars(text, with_spans=True)
        return array.tolist(), spans or []

    def _encode_chars(self, text: str, with_spans: bool) -> tuple[np.ndarray, list[Span] | None]:
        assert self._codes is not None
        ids = self._codes.array(text, self.replaced)
        spell = ids == self._expand if self.fallback == "bytes" else None
        if spell is None or not spell.any():
            return ids, char_spans(len(ids)) if with_spans else None
        where = np.flatnonzero(spell).tolist()
        spelled = [self._normal_char(text[p]).encode("utf-8", "surrogatepass") for p in where]
        lengths = np.ones(len(ids), dtype=np.int64)
        lengths[where] = [len(b) for b in spelled]
        out = np.repeat(ids, lengths)
        out[np.repeat(spell, lengths)] = np.frombuffer(b"".join(spelled), dtype=np.uint8).astype(out.dtype) + N_SPECIAL
        if not with_spans:
            return out, None
        starts = np.repeat(np.arange(len(ids)), lengths)
        return out, spans_from_arrays(starts, starts + 1)

    def _encode_symbols(self, text: str, with_spans: bool) -> tuple[list[int], list[Span] | None]:
        normal = self._normal(text)
        if not with_spans:
            ids = list(map(self._ids.__getitem__, self._split.findall(normal)))  # type: ignore[union-attr]
            if _MISS not in ids and (self._replace_table is None or normal == fold(text, self.fold_case)):
                return ids, None
        ids, spans = [], []
        for m in self._split.finditer(normal):  # type: ignore[union-attr]
            symbol, (start, end) = m.group(), m.span()
            i = self._ids[symbol]
            if i == _MISS or (self._replace_table is not None and fold(text[start:end], self.fold_case) != symbol):
                self.replaced[text[start:end]] += 1
            if i != _MISS:
                ids.append(i)
                spans.append((start, end))
            elif self.fallback == "unk":
                ids.append(UNK_ID)
                spans.append((start, end))
            else:
                for p in range(start, end):
                    data = normal[p].encode("utf-8", "surrogatepass")
                    ids.extend(N_SPECIAL + b for b in data)
                    spans.extend([(p, p + 1)] * len(data))
        return ids, spans if with_spans else None

    def decode(self, ids: Sequence[int]) -> str:
        a = clean_ids(ids, len(self._table()))
        if self.fallback != "bytes":
            return self._pieces.join(a)
        is_byte = (a >= N_SPECIAL) & (a < self._first)
        if not is_byte.any():
            return self._pieces.join(a)
        # runs of byte tokens are UTF-8 (U+FFFD for bytes that are not), decoded together
        cuts = np.flatnonzero(np.diff(is_byte.astype(np.int8))) + 1
        parts = []
        for run in np.split(a, cuts):
            if N_SPECIAL <= run[0] < self._first:
                parts.append((run - N_SPECIAL).astype(np.uint8).tobytes().decode("utf-8", "replace"))
            else:
                parts.append(self._pieces.join(run))
        return "".join(parts)

    def id_to_token(self, i: int) -> str:
        table = self._table()
        return table[i] if 0 <= i < len(table) else SPECIAL_TOKENS[UNK_ID]

    # ---- saving -------------------------------------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        return {
            "alphabet": None if self.alphabet is None else symbols_config(self.alphabet),
            "learn": self.learn, "fold_case": self.fold_case, "replace": dict(self.replace), "symbols": self.symbols,
            "fallback": self.fallback, "min_freq": self.min_freq, "max_size": self.max_size,
            "vocab": self.vocab_symbols() if self.learn else None,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LookupTokenizer:
        check_config(config, _CONFIG_KEYS, cls.type_name)
        return cls(**config)
