"""Languages and Pygments lexers: names and suffixes to lexers, lossless lexing, code that knows its language.

Pygments is imported inside the functions, never at import time, so that `polyseq plugins` stays
cheap. Three things live here because the tokenizers, readers and validator all need them:

- `SUFFIXES`: the file suffixes the code domain reads, each with the Pygments alias of its language.
- `resolve_language(value)`: a lexer class from a lexer name (`"C++"`), alias (`"cpp"`) or file
  suffix (`".cpp"`); anything else is a `ConfigError` listing close matches.
- `lex(text, lexer)`: Pygments tokens whose values concatenate back to `text` exactly. Pygments
  alters text through `get_tokens` (strips and appends newlines, turns `\\r\\n` into `\\n`, expands
  tabs); we call `get_tokens_unprocessed` on text whose `\\r\\n` became `\\n`, then cut the values
  back out of the original text, so `\\r\\n` files keep their line ends and lex as well as `\\n` files.
  Should a lexer ever lose or change a character, the whole text becomes one `Text` token (still lossless).
"""

from __future__ import annotations

import difflib
import functools
from bisect import bisect_left
from typing import Any

from polyseq import ConfigError

#: suffix (lower case) -> Pygments alias of the language: the files the code domain's readers accept
SUFFIXES: dict[str, str] = {
    ".py": "python", ".c": "c", ".h": "c", ".cpp": "cpp", ".cc": "cpp", ".hpp": "cpp", ".java": "java",
    ".js": "javascript", ".ts": "typescript", ".go": "go", ".rs": "rust", ".rb": "ruby", ".php": "php",
    ".cs": "csharp", ".scala": "scala", ".kt": "kotlin", ".swift": "swift", ".sh": "bash", ".lua": "lua",
    ".jl": "julia", ".r": "r", ".pl": "perl", ".hs": "haskell", ".dart": "dart", ".ex": "elixir",
    ".erl": "erlang", ".clj": "clojure", ".ml": "ocaml", ".f90": "fortran", ".ps1": "powershell",
    ".groovy": "groovy",
}

#: Pygments lexer names that are not what programmers call the language (labels use the right side)
_LABELS = {"S": "R"}


class SourceCode(str):
    """A `str` of source code that remembers its language (a Pygments lexer name, or None).

    Readers return these, so that the validator, the writer and a tokenizer built with
    `language="auto"` know each record's language without guessing (Pygments' `guess_lexer` named
    the right language for under 10% of the TheAlgorithms files we tried). It is a plain string
    everywhere else: it compares, hashes and serialises as its text, and string methods return `str`.
    """

    language: str | None

    def __new__(cls, text: str, language: str | None = None) -> SourceCode:
        obj = super().__new__(cls, text)
        obj.language = language
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (SourceCode, (str(self), self.language))


def language_of(sample: Any, default: str | None = None) -> str | None:
    """The language a sample carries (see `SourceCode`), else `default`."""
    return getattr(sample, "language", None) or default


def label(lexer_cls: Any) -> str:
    """The language label of a lexer class: its name (`Python`, `C++`), `R` for Pygments' `S`."""
    return _LABELS.get(lexer_cls.name, lexer_cls.name)


@functools.lru_cache(maxsize=None)
def _names() -> dict[str, str]:
    """Every lower-cased lexer name and alias -> the lexer's first alias."""
    from pygments.lexers import get_all_lexers

    names: dict[str, str] = {}
    for name, aliases, _patterns, _mimes in get_all_lexers(plugins=False):
        if aliases:
            for n in (name, *aliases):
                names.setdefault(n.lower(), aliases[0])
    for alias_label, pyg_name in ((v.lower(), k) for k, v in _LABELS.items()):
        names.setdefault(alias_label, names[pyg_name.lower()])
    return names


@functools.lru_cache(maxsize=256)
def resolve_language(value: str, option: str = "language") -> Any:
    """The Pygments lexer class for a name, alias or file suffix; `option` names the setting in errors."""
    from pygments.lexers import find_lexer_class_for_filename, get_lexer_by_name
    from pygments.util import ClassNotFound

    if not isinstance(value, str) or not value:
        raise ConfigError(f"{option} must be a Pygments lexer name, alias or file suffix, got {value!r}")
    if value.startswith("."):
        alias = SUFFIXES.get(value.lower())
        if alias is not None:
            return type(get_lexer_by_name(alias))
        found = find_lexer_class_for_filename("file" + value)
        if found is not None:
            return found
    else:
        alias = _names().get(value.lower())
        if alias is not None:
            try:
                return type(get_lexer_by_name(alias))
            except ClassNotFound:
                pass
    choices = list(_names()) + list(SUFFIXES)
    close = difflib.get_close_matches(value.lower(), choices, n=5, cutoff=0.6)
    hint = f" Close matches: {', '.join(close)}." if close else ""
    raise ConfigError(
        f"{option}={value!r} is not a language Pygments knows: give a lexer name or alias (python, cpp, go) "
        f"or a file suffix (.py, .rs).{hint} `pygmentize -L lexers` lists them all."
    )


def canonical(value: str, option: str = "language") -> str:
    """The stable spelling of a language setting: the lexer's first alias (`.py`, `Python` -> `python`)."""
    return resolve_language(value, option).aliases[0]


@functools.lru_cache(maxsize=64)
def make_lexer(alias: str) -> Any:
    """A lexer instance that changes nothing in the text (one per language, shared)."""
    return resolve_language(alias)(stripnl=False, ensurenl=False, stripall=False, tabsize=0)


def lex(text: str, lexer: Any) -> list[tuple[int, Any, str]]:
    """`(position, token type, value)` triples whose values join back to `text` exactly (see the module docstring)."""
    if not text:
        return []
    if "\r\n" not in text:
        triples = list(lexer.get_tokens_unprocessed(text))
        if "".join([x[2] for x in triples]) == text:
            return triples
        return [(0, _text_type(), text)]
    norm = text.replace("\r\n", "\n")
    triples = list(lexer.get_tokens_unprocessed(norm))
    if "".join([x[2] for x in triples]) != norm:
        return [(0, _text_type(), text)]
    crlf = []  # positions in `norm` of the newlines that were \r\n
    pos = 0
    for part in text.split("\r\n")[:-1]:
        pos += len(part)
        crlf.append(pos)
        pos += 1
    out = []
    start = 0
    for _, t, v in triples:
        end = start + len(v)
        first = start + bisect_left(crlf, start)
        out.append((first, t, text[first : end + bisect_left(crlf, end)]))
        start = end
    return out


def _text_type() -> Any:
    from pygments.token import Text

    return Text


def error_tokens(text: str, lexer: Any) -> list[tuple[int, int, str]]:
    """(line, column, value) of every Error token the lexer gives for `text` (1-based line and column)."""
    from pygments.token import Error

    found = []
    for pos, t, v in lex(text, lexer):
        if t in Error:
            line = text.count("\n", 0, pos) + 1
            found.append((line, pos - (text.rfind("\n", 0, pos) + 1) + 1, v))
    return found
