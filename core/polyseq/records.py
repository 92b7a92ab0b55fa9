"""What readers produce: records, bad records, and the report that counts them.

A reader yields `Record`s and, for input it cannot use, `BadRecord`s. It never drops anything
silently: `Domain.read` counts every bad record in a `ReadReport` (or raises in strict mode).
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Record:
    """One sample of a domain, with its target (label or values) when the file has one.

    `meta` always holds `source` (the file) and `line` (1-based line of the record's start) or
    `index` (0-based position, for formats without lines), plus whatever the reader adds
    (a FASTA id, a molecule name...).
    """

    sample: Any
    target: Any = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return _where(self.meta)


@dataclass(frozen=True)
class BadRecord:
    """A record a reader could not use, and why (`reason` is shown to the user as is)."""

    reason: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return _where(self.meta)


def _where(meta: dict[str, Any]) -> str:
    source = meta.get("source", "<unknown source>")
    if "line" in meta:
        return f"{source}:{meta['line']}"
    if "index" in meta:
        return f"{source}[{meta['index']}]"
    return str(source)


@dataclass
class ReadReport:
    """Counts of what was read. Pass one to `Domain.read` to collect it; `summary()` is for humans."""

    n_records: int = 0
    bad: list[BadRecord] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def n_bad(self) -> int:
        return len(self.bad)

    def reasons(self) -> Counter[str]:
        return Counter(b.reason for b in self.bad)

    def summary(self, max_examples: int = 5) -> str:
        text = f"{self.n_records} records read from {len(self.files)} file(s), {self.n_bad} bad"
        if self.bad:
            shown = "\n".join(f"  {b.where}: {b.reason}" for b in self.bad[:max_examples])
            more = f"\n  ... and {self.n_bad - max_examples} more" if self.n_bad > max_examples else ""
            text += f":\n{shown}{more}"
        return text

    def warn_if_bad(self) -> None:
        if self.bad:
            warnings.warn(f"skipped bad records: {self.summary()}", BadRecordWarning, stacklevel=3)


class BadRecordWarning(UserWarning):
    """Issued when bad records were skipped (not in strict mode)."""


def sample_as_bytes(sample: Any) -> bytes | None:
    """A sample as it is stored: UTF-8 text, raw bytes, or `bytes(sample)` for a sample that defines
    it (a MIDI score: its standard MIDI file); None when it has no byte form."""
    if isinstance(sample, str):
        return sample.encode("utf-8", "surrogatepass")
    if isinstance(sample, (bytes, bytearray)) or hasattr(type(sample), "__bytes__"):
        return bytes(sample)
    return None


def sample_size(sample: Any) -> int | None:
    """`len(sample_as_bytes(sample))` without making the bytes where the sample's type can say its
    size: a sample class may define `stored_size()` (a MIDI score works out the length of the file it
    would write, 10x faster than writing it). None when the sample has no byte form."""
    if isinstance(sample, str):
        return len(sample) if sample.isascii() else len(sample.encode("utf-8", "surrogatepass"))
    size = getattr(type(sample), "stored_size", None)
    if size is not None:
        return int(size(sample))
    stored = sample_as_bytes(sample)
    return None if stored is None else len(stored)


def stored_size(samples: Any) -> int:
    """Bytes of the samples as stored (`sample_size`); 0 when one has no byte form, so that bits
    per byte stay unreported rather than wrong."""
    total = 0
    for s in samples:
        size = sample_size(s)
        if size is None:
            return 0
        total += size
    return total

