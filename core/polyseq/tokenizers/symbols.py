"""What the configurable tokenizers (`lookup`, `kmer`, `track`) share: case folding, reading the
characters of a sample as integer codes at C speed, splitting a sample into symbols, joining
symbols back into text, and checking options.

Private to the core: a plugin configures `LookupTokenizer`, `KmerTokenizer` or `TrackTokenizer`
rather than using these.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from polyseq.errors import ConfigError, PolyseqError, TokenizerFormatError
from polyseq.tokenizers.base import N_SPECIAL, SPECIAL_TOKENS, UNK_ID


class _LazyNumpy:
    """numpy, imported on first use: a plugin defines subclasses of the building blocks when it is
    imported, and registering plugins must not import numpy (only encoding needs it). Each name is
    looked up once, then is a plain attribute."""

    def __getattr__(self, name: str) -> Any:
        import numpy

        value = getattr(numpy, name)
        setattr(self, name, value)
        return value


np: Any = _LazyNumpy()

FOLD_CASES = (None, "upper", "lower")
BYTE_TOKENS: tuple[str, ...] = tuple(f"<0x{b:02X}>" for b in range(256))  # as HF tokenizers' byte_fallback


class _Unset:
    def __repr__(self) -> str:
        return "<class attribute>"


#: the default of a constructor option: "use the class attribute of the same name"
UNSET: Any = _Unset()


def option(tokenizer: Any, name: str, value: Any) -> Any:
    """`value`, or the class attribute `name` when the caller gave none."""
    return getattr(type(tokenizer), name) if value is UNSET else value


# ---- case folding ---------------------------------------------------------------------------------


def fold_char(c: str, how: str) -> str:
    """`c` in the case `how` ("upper"/"lower") asks for, when `c` has a one-to-one partner in that
    case (a/A, é/É, σ/Σ); otherwise `c` itself. So ß, ſ, ς, ı and the Kelvin sign keep their form:
    folding never changes a sample's length and never turns a non-ASCII character into ASCII."""
    folded = c.upper() if how == "upper" else c.lower()
    if len(folded) != 1 or folded == c:
        return c
    back = folded.lower() if how == "upper" else folded.upper()
    return folded if back == c else c


class _FoldTable(dict):
    """code point -> folded character, filled on first sight (a `str.translate` table)."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how

    def __missing__(self, point: int) -> str:
        folded = self[point] = fold_char(chr(point), self.how)
        return folded


_FOLD_TABLES = {how: _FoldTable(how) for how in ("upper", "lower")}


def fold(text: str, how: str | None) -> str:
    """`text` with every character folded by `fold_char` (`how` None: unchanged)."""
    if how is None:
        return text
    if text.isascii():
        return text.upper() if how == "upper" else text.lower()
    return text.translate(_FOLD_TABLES[how])


# ---- characters -> codes ----------------------------------------------------------------------------


def code_dtype(largest: int) -> np.dtype:
    """The smallest unsigned dtype holding codes 0..largest."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if largest <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


class CharCodes:
    """Reads each character of a string as an integer code, `code_of(char)`, without Python per
    character: a `bytes.translate` table (or a numpy lookup) for ASCII text, and for the rest numpy
    over the code points, calling `code_of` once per distinct non-ASCII character.

    Given a Counter, it also counts every character for which `quiet(char)` is false (what a
    tokenizer reports as `replaced`).
    """

    def __init__(self, code_of: Callable[[str], int], quiet: Callable[[str], bool], largest: int):
        self._code_of, self._quiet = code_of, quiet
        self.dtype = code_dtype(largest)
        ascii_codes = [code_of(chr(c)) for c in range(128)]
        self._ascii_list = ascii_codes
        self._ascii = np.array(ascii_codes + [0] * 128, dtype=self.dtype)
        self._translate = bytes(ascii_codes + [0] * 128) if self.dtype == np.uint8 else None
        self._quiet_bytes = bytes(c for c in range(128) if quiet(chr(c)))
        self._other: dict[int, int] = {}  # non-ASCII code point -> code, filled on first sight

    def ascii_code(self, c: str) -> int:
        return self._ascii_list[ord(c)]

    def _code(self, point: int) -> int:
        code = self._other.get(point)
        if code is None:
            code = self._other[point] = self._code_of(chr(point))
        return code

    def _count_ascii(self, data: bytes, counter: Counter[str]) -> None:
        rest = data.translate(None, self._quiet_bytes)
        if not rest:
            return
        if len(rest) < 4096:
            counter.update(rest.decode("ascii"))
        else:
            found, counts = np.unique(np.frombuffer(rest, dtype=np.uint8), return_counts=True)
            counter.update({chr(v): c for v, c in zip(found.tolist(), counts.tolist())})

    def array(self, text: str, counter: Counter[str] | None = None) -> np.ndarray:
        """The codes of `text`, one per character (a read-only array for ASCII text)."""
        try:
            data = text.encode("ascii")
        except UnicodeEncodeError:
            return self._array_any(text, counter)
        if counter is not None:
            self._count_ascii(data, counter)
        if self._translate is not None:
            return np.frombuffer(data.translate(self._translate), dtype=np.uint8)
        return self._ascii[np.frombuffer(data, dtype=np.uint8)]

    def as_list(self, text: str, counter: Counter[str] | None = None) -> list[int]:
        """`array(text).tolist()`, faster for the short samples most corpora hold."""
        if not text.isascii():
            return self._array_any(text, counter).tolist()
        data = text.encode("ascii")
        if counter is not None:
            self._count_ascii(data, counter)
        if self._translate is not None:
            return list(data.translate(self._translate))
        return list(map(self._ascii_list.__getitem__, data))

    def _array_any(self, text: str, counter: Counter[str] | None) -> np.ndarray:
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        out = np.empty(len(points), dtype=self.dtype)
        small = points < 128
        out[small] = self._ascii[points[small]]
        distinct, inverse, counts = np.unique(points[~small], return_inverse=True, return_counts=True)
        out[~small] = np.array([self._code(p) for p in distinct.tolist()], dtype=self.dtype)[inverse]
        if counter is not None:
            self._count_ascii(points[small].astype(np.uint8).tobytes(), counter)
            counter.update({chr(p): c for p, c in zip(distinct.tolist(), counts.tolist()) if not self._quiet(chr(p))})
        return out


# ---- symbols and text ---------------------------------------------------------------------------------


def symbol_splitter(symbols: str | None, alphabet: Sequence[str]) -> re.Pattern[str] | None:
    """The regex that cuts a (normalised) sample into symbols: `symbols`, else the alphabet's
    multi-character symbols (longest first); any character neither matches is a symbol of its
    own, so no character is ever lost. None: one code point per symbol (the vectorised case)."""
    if symbols is None:
        multi = sorted({s for s in alphabet if len(s) > 1}, key=lambda s: (-len(s), s))
        if not multi:
            return None
        symbols = "|".join(map(re.escape, multi))
    return re.compile(f"(?:{symbols})|(?s:.)")


class PieceTable:
    """Index -> text, joined for an array of indices without Python per index when every piece is
    one ASCII character (or empty; one non-ASCII piece, such as <unk>'s U+FFFD, is allowed).
    A piece None is one `join` is never asked for (an id the caller removes first)."""

    _PLACEHOLDER = "\x1a"

    def __init__(self, pieces: Sequence[str | None]):
        self.pieces = list(pieces)
        odd = {p for p in self.pieces if p is not None and (len(p) > 1 or not p.isascii())}
        self._odd = next(iter(odd)) if len(odd) == 1 and self._PLACEHOLDER not in self.pieces else None
        self._bytes: np.ndarray | None = None
        if not odd or self._odd is not None:
            shown = [self._PLACEHOLDER if p == self._odd else p for p in self.pieces]
            self._bytes = np.array([ord(p) if p else 0 for p in shown], dtype=np.uint8)
            self._nonempty = np.array([p != "" for p in shown])
        else:
            self._objects = np.array(["" if p is None else p for p in self.pieces], dtype=object)

    def byte_table(self) -> np.ndarray | None:
        """Each piece as one byte (for `text_of_bytes`), when every piece is one character; else None."""
        return self._bytes if self._bytes is not None and self._nonempty.all() else None

    def text_of_bytes(self, data: bytes) -> str:
        """The text of bytes taken from `byte_table()`."""
        text = data.decode("ascii")
        if self._odd is not None and self._PLACEHOLDER in text:
            return text.replace(self._PLACEHOLDER, self._odd)
        return text

    def join(self, indices: np.ndarray) -> str:
        if self._bytes is None:
            return "".join(self._objects[indices].tolist())
        if not self._nonempty.all():
            indices = indices[self._nonempty[indices]]
        return self.text_of_bytes(self._bytes[indices].tobytes())


# ---- samples, options and configs -------------------------------------------------------------------


def as_text(sample: Any, tokenizer: Any) -> str:
    if not isinstance(sample, str):
        raise PolyseqError(f"the {tokenizer.type_name} tokenizer encodes {tokenizer.sample_description}, "
                           f"got {type(sample).__name__}")
    return sample


def check_choice(problems: list[str], name: str, value: Any, choices: tuple[Any, ...]) -> None:
    if value not in choices or any(value == c and type(value) is not type(c) for c in choices):
        problems.append(f"{name} must be {' or '.join(map(repr, choices))}, got {value!r}")


def check_int(problems: list[str], name: str, value: Any, minimum: int, none_ok: bool = False) -> None:
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.append(f"{name} must be an integer >= {minimum}{' or None' if none_ok else ''}, got {value!r}")


def check_symbols(problems: list[str], name: str, value: Any, fold_case: Any, single: bool = False,
                  taken: Iterable[str] = ()) -> list[str]:
    """`value` (a string of one-character symbols, or a list of symbols) as a list; what is wrong
    with it goes to `problems`: not strings, empty, repeated, changed by `fold_case`, or equal to
    a token the vocabulary already holds (`taken`: the special tokens, the byte tokens)."""
    if isinstance(value, str):
        symbols = list(value)
    elif isinstance(value, Sequence) and all(isinstance(s, str) for s in value):
        symbols = list(value)
    else:
        problems.append(f"{name} must be a string of symbols or a list of strings, got {value!r}")
        return []
    empty = [s for s in symbols if not s]
    if empty:
        problems.append(f"{name} holds an empty symbol")
    if single and any(len(s) > 1 for s in symbols):
        problems.append(f"{name} symbols must be single characters, got {[s for s in symbols if len(s) > 1][:5]!r}")
    repeated = sorted({s for s in symbols if symbols.count(s) > 1})
    if repeated:
        problems.append(f"{name} lists {repeated[:5]!r} more than once")
    if fold_case in ("upper", "lower"):
        unfolded = [s for s in symbols if fold(s, fold_case) != s]
        if unfolded:
            problems.append(f"{name} symbols {unfolded[:5]!r} are not in the case fold_case={fold_case!r} gives "
                            f"(they would never be read): write them as {[fold(s, fold_case) for s in unfolded[:5]]!r}")
    taken = set(taken) | set(SPECIAL_TOKENS)
    collisions = [s for s in symbols if s in taken]
    if collisions:
        problems.append(f"{name} symbols {collisions[:5]!r} collide with tokens the vocabulary already has "
                        f"(special tokens {', '.join(SPECIAL_TOKENS)}; byte tokens <0x00>..<0xFF>): rename them")
    return [s for s in symbols if s]


def check_replace(problems: list[str], value: Any, fold_case: Any) -> dict[str, str]:
    """`replace` as a dict of one character -> one character, applied after case folding."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        problems.append(f"replace must be a mapping of characters to characters, got {value!r}")
        return {}
    replace = dict(value)
    bad = [(k, v) for k, v in replace.items() if len(k) != 1 or len(v) != 1]
    if bad:
        problems.append(f"replace maps one character to one character (offsets stay per character), got {bad[:5]!r}")
    chained = [k for k, v in replace.items() if v in replace and v != k]
    if chained:
        problems.append(f"replace maps to characters it also replaces ({chained[:5]!r}): map each to its final form")
    if fold_case in ("upper", "lower"):
        unseen = [k for k in replace if len(k) == 1 and fold(k, fold_case) != k]
        if unseen:
            problems.append(f"replace keys {unseen[:5]!r} are never seen: fold_case={fold_case!r} turns them into "
                            f"{[fold(k, fold_case) for k in unseen[:5]]!r} first")
    return replace


def check_config(config: Mapping[str, Any], keys: Sequence[str], type_name: str) -> None:
    """Raise `TokenizerFormatError` when `config` lacks one of `keys` or has another."""
    if not isinstance(config, Mapping):
        raise TokenizerFormatError(f"the config of a {type_name} tokenizer must be a JSON object, got {config!r}")
    missing = [k for k in keys if k not in config]
    unknown = [k for k in config if k not in keys]
    if missing or unknown:
        said = [f"no key {', '.join(map(repr, missing))}"] if missing else []
        said += [f"unknown key {', '.join(map(repr, unknown))}"] if unknown else []
        raise TokenizerFormatError(f"the config of a {type_name} tokenizer has {' and '.join(said)} "
                                   f"(expected the keys {', '.join(keys)}); was the file written by another "
                                   "version or edited by hand?")


def symbols_config(symbols: Sequence[str]) -> str | list[str]:
    """An alphabet as saved: a string when every symbol is one character, else the list."""
    return "".join(symbols) if all(len(s) == 1 for s in symbols) else list(symbols)


def raise_problems(problems: list[str]) -> None:
    if problems:
        raise ConfigError(problems)


def clean_ids(ids: Any, size: int) -> np.ndarray:
    """Ids as an int64 array with the special tokens `decode` skips dropped and every id outside
    [0, size) turned into <unk> (generated ids may be anything)."""
    a = np.asarray(ids, dtype=np.int64).reshape(-1)
    a = a[(a == UNK_ID) | (a >= N_SPECIAL) | (a < 0)]
    return np.where((a < 0) | (a >= size), UNK_ID, a)
