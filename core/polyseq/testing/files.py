"""Files for the reader checks: a file of good records with malformed lines between them, and
whether a record's `line` points at it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyseq.textio import UNDECODABLE

#: malformed lines the kit puts between good records: structural garbage, and bytes that are not UTF-8
GARBAGE_LINES = (b"}{ !! malformed record !! }{", b"\xff\xfe caf\xe9 not UTF-8 \xff")


@dataclass(frozen=True)
class MixedFile:
    """A file of good records with malformed ones between them, for `test_reader_mixed_records`.

    `good`: the samples that must come back, in order; `bad_lines`: where each malformed record is,
    a line or an inclusive (first, last) range of lines its BadRecord may name; `may_lose`: how
    many good records a malformed one may take with it (a garbage line in FASTA joins the record
    before it, which then is bad as a whole).
    """

    path: Path
    good: Sequence[Any]
    bad_lines: Sequence[int | tuple[int, int]]
    may_lose: int = 0


def _text_lines(path: Path) -> list[str] | None:
    """The lines of a UTF-8 text file, or None for a directory, a binary or a gzip file."""
    if not path.is_file() or path.name.lower().endswith(".gz"):
        return None
    try:
        return path.read_bytes().decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None


def undecodable(sample: Any) -> bool:
    return isinstance(sample, str) and ("\ufffd" in sample or UNDECODABLE.search(sample) is not None)


def _record_starts(records: list[Any]) -> list[int] | None:
    starts = [r.meta.get("line") for r in records]
    if len(starts) < 2 or not all(isinstance(n, int) and n >= 1 for n in starts):
        return None
    return starts if all(a < b for a, b in zip(starts, starts[1:])) else None


def build_mixed_file(path: Path, records: list[Any], out: Path) -> MixedFile | None:
    """The example file three times over, a garbage line after the first and second copy; None
    when the file is not text or its records do not start on increasing lines (one record per
    file, several per line)."""
    if _text_lines(path) is None:
        return None
    starts = _record_starts(records)
    if starts is None:
        return None
    lines = path.read_bytes().splitlines(keepends=True)
    newline = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    if not lines[-1].endswith(b"\n"):
        lines[-1] += newline
    header, body = lines[: starts[0] - 1], lines[starts[0] - 1 :]
    content, bad_lines = list(header), []
    for copy in range(3):
        content += body
        if copy < 2:
            garbage = len(content) + 1
            last_record = garbage - len(body) + starts[-1] - starts[0]  # the record the garbage follows
            bad_lines.append((last_record, garbage + 1))
            content.append(GARBAGE_LINES[copy] + newline)
    out.write_bytes(b"".join(content))
    return MixedFile(out, [r.sample for r in records] * 3, bad_lines, may_lose=1)


def line_problems(path: Path, records: list[Any]) -> list[str]:
    """Records whose `line` does not point at them: out of the file, or their sample's text found
    in the file, but not between their line and the next record's."""
    lines = _text_lines(path)
    if lines is None:
        return []
    starts = sorted({r.meta["line"] for r in records if isinstance(r.meta.get("line"), int)})
    problems = []
    for i, r in enumerate(records):
        line = r.meta.get("line")
        if line is None:
            continue
        if not isinstance(line, int) or not 1 <= line <= len(lines):
            problems.append(f"record #{i} names line {line!r}, not a line of the file (1..{len(lines)})")
            continue
        if not isinstance(r.sample, str):
            continue
        needle = next((s.strip() for s in r.sample.splitlines() if s.strip()), "")[:30]
        if len(needle) < 3:
            continue
        forms = {needle, json.dumps(needle)[1:-1], json.dumps(needle, ensure_ascii=False)[1:-1]}
        hits = [n for n, text in enumerate(lines, 1) if any(f in text for f in forms)]
        end = next((s for s in starts if s > line), len(lines) + 1) - 1
        if hits and not any(line <= h <= end for h in hits):
            problems.append(f"record #{i} names line {line}, but its sample {needle!r} is at line "
                            f"{', '.join(map(str, hits[:3]))}: 'line' is the 1-based line where the record starts")
    return problems
