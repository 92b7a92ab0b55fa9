"""Reading text files so that one bad line becomes a bad record, not a crash (public API for readers).

Files are decoded as UTF-8 with `surrogateescape`: bytes that are not UTF-8 survive as lone
surrogates, which `bad_text_reason` finds, so a reader can report the exact record and go on.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

UNDECODABLE = re.compile("[\udc80-\udcff]")


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """A UTF-8 text file that never raises on undecodable bytes; newlines are left as they are."""
    return open(path, encoding="utf-8", errors="surrogateescape", newline="")


def bad_text_reason(text: str) -> str | None:
    """Why `text` is not usable text (undecodable bytes or NUL bytes), or None when it is."""
    if UNDECODABLE.search(text):
        return "not valid UTF-8 text"
    if "\x00" in text:
        return "contains NUL bytes (binary data?)"
    return None
