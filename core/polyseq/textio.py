"""Reading text files so that one bad line becomes a bad record, not a crash (public API for readers).

Files are decoded as UTF-8 with `surrogateescape`: bytes that are not UTF-8 survive as lone
surrogates, which `bad_text_reason` finds, so a reader can report the exact record and go on.
A gzip file is decompressed transparently, recognised by its first bytes whatever its name; when
its stream is cut short, `NumberedLines` stops at the last whole line and says so instead of
raising, so the lines before the cut are kept.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Iterator
from typing import TextIO

UNDECODABLE = re.compile("[\udc80-\udcff]")

GZIP_MAGIC = b"\x1f\x8b"

#: what reading a truncated or damaged gzip stream raises
CUT_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def cut_short(error: BaseException, last_line: int) -> str:
    """The bad-record reason for a gzip stream cut short after `last_line` whole lines (one wording everywhere)."""
    detail = str(error) or "the compressed stream ends early"
    return (f"the compressed file ends early (a truncated copy or download?): nothing after line {last_line} "
            f"could be read ({type(error).__name__}: {detail})")


def is_gzip(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts with the gzip magic bytes (its name does not matter)."""
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """A UTF-8 text file (gzip or not) that never raises on undecodable bytes; newlines are left as they are."""
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8", errors="surrogateescape", newline="")  # type: ignore[return-value]
    return open(path, encoding="utf-8", errors="surrogateescape", newline="")


def bad_text_reason(text: str) -> str | None:
    """Why `text` is not usable text (undecodable bytes or NUL bytes), or None when it is."""
    if UNDECODABLE.search(text):
        return "not valid UTF-8 text"
    if "\x00" in text:
        return "contains NUL bytes (binary data?)"
    return None


class NumberedLines:
    """The lines of an open text file (line endings kept, a leading byte-order mark removed).

    Iterating stops at a gzip stream cut short instead of raising; `cut` then holds the reason
    (naming the last line read) and `n` the number of whole lines read. A partial last line never
    comes out: the decompressor raises before it is complete.
    """

    def __init__(self, handle: TextIO):
        self.handle = handle
        self.n = 0
        self.cut: str | None = None

    def __iter__(self) -> Iterator[str]:
        try:
            for line in self.handle:
                self.n += 1
                yield line.removeprefix("\ufeff") if self.n == 1 else line
        except CUT_ERRORS as e:
            self.cut = cut_short(e, self.n)
