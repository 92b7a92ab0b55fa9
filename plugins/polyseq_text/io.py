"""Readers and writer of natural-language text: .txt, .csv, .tsv and .jsonl.

Files are decoded as UTF-8 with `surrogateescape`, so one undecodable row becomes a `BadRecord`
with its line instead of failing the whole file. Every record's meta has `source` and `line`
(1-based, the line where the record starts).

Table options (.csv, .tsv, .jsonl):
    text_column: the column (or JSON field) holding the text; default "text".
    target_column: the label/target column; default "auto" = "label" or "target" when present,
        else none. None reads texts without targets.
    target_type: "str" (default), "int" or "float"; a value that does not convert is a bad record.
    header: (.csv/.tsv) False for a file without a header line; columns are then 0-based
        positions, e.g. the SMS Spam Collection: header=False, text_column=1, target_column=0.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from polyseq.errors import ConfigError, ReaderError
from polyseq.records import BadRecord, Record
from polyseq.textio import UNDECODABLE as _UNDECODABLE
from polyseq.textio import bad_text_reason as _bad_bytes
from polyseq.textio import open_text as _open

#: a handful of real-looking valid samples (Domain.examples; the example files hold them too)
EXAMPLES = (
    "The quick brown fox jumps over the lazy dog.",
    "Call me Ishmael. Some years ago - never mind how long precisely - I thought I would sail about.",
    "Free entry in a weekly competition! Text WIN to 80086 now (T&C apply).",
    "Naïve café owners in Zürich serve crème brûlée; 北京 has 21 million people.",
    "First line of a poem,\nsecond line with\ttab and  two spaces.",
)

_TXT_MODES = ("document", "line", "paragraph")
_TARGET_TYPES = {"str": str, "int": int, "float": float}
Column = str | int | None






# ------------------------------------------------------------------------------------------------
# .txt
# ------------------------------------------------------------------------------------------------


def read_txt(path: Path, mode: str = "document") -> Iterator[Record | BadRecord]:
    """A plain-text file as one record (`mode="document"`), one per line, or one per paragraph.

    "line": each line (without its line ending) is a sample; an empty line is a bad record.
    "paragraph": blocks separated by blank lines, their inner line breaks kept.
    """
    if mode not in _TXT_MODES:
        raise ConfigError(f"mode must be one of {', '.join(_TXT_MODES)}, got {mode!r}")
    source = str(path)
    with _open(path) as f:
        if mode == "document":
            text = f.read().removeprefix("\ufeff")
            reason = _bad_bytes(text)
            if reason:
                line = 1 + text[: (_UNDECODABLE.search(text) or re.search("\x00", text)).start()].count("\n")
                yield BadRecord(f"{reason} (first at line {line})", {"source": source, "line": line})
            elif not text.strip():
                yield BadRecord("empty document", {"source": source, "line": 1})
            else:
                yield Record(text, meta={"source": source, "line": 1})
            return
        block: list[str] = []
        start = 0
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n")
            if n == 1:
                line = line.removeprefix("\ufeff")
            if mode == "line":
                yield _line_record(line, source, n, "empty line")
            elif line.strip():
                if not block:
                    start = n
                block.append(line)
            elif block:
                yield _line_record("\n".join(block), source, start, "")
                block = []
        if block:
            yield _line_record("\n".join(block), source, start, "")


def _line_record(text: str, source: str, line: int, empty_reason: str) -> Record | BadRecord:
    meta = {"source": source, "line": line}
    reason = _bad_bytes(text) or (empty_reason if not text.strip() else None)
    return BadRecord(reason, meta) if reason else Record(text, meta=meta)


# ------------------------------------------------------------------------------------------------
# .csv / .tsv / .jsonl
# ------------------------------------------------------------------------------------------------


def read_csv(
    path: Path, text_column: Column = "text", target_column: Column = "auto", target_type: str = "str",
    header: bool = True, delimiter: str = ",",
) -> Iterator[Record | BadRecord]:
    """Rows of a CSV file (quoted fields may span lines) with a text column and an optional target."""
    convert = _target_converter(target_type)
    source = str(path)
    with _open(path) as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            rows = _numbered(reader)
            names = next(rows)[1] if header else None
            text_i, target_i = _column_indices(source, names, text_column, target_column, header)
            for line, row in rows:
                yield _row_record(row, text_i, target_i, convert, {"source": source, "line": line})
        except StopIteration:
            raise ReaderError(f"{source}: the file is empty (expected a header line)") from None
        except csv.Error as e:
            raise ReaderError(f"{source}:{reader.line_num}: not valid CSV: {e}") from e


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, row) for each row of a csv.reader, blank lines included as []."""
    end = 0
    for row in reader:
        yield end + 1, row
        end = reader.line_num


def read_tsv(
    path: Path, text_column: Column = "text", target_column: Column = "auto", target_type: str = "str",
    header: bool = True,
) -> Iterator[Record | BadRecord]:
    """Tab-separated rows, no quoting; a row is split at its first tabs only, so the last column
    may itself hold tabs (the SMS Spam Collection's `label<TAB>text` lines read as they are)."""
    convert = _target_converter(target_type)
    source = str(path)
    with _open(path) as f:
        lines = (line.rstrip("\r\n") for line in f)
        names = None
        if header:
            first = next(lines, None)
            if first is None:
                raise ReaderError(f"{source}: the file is empty (expected a header line)")
            names = first.removeprefix("\ufeff").split("\t")
        text_i, target_i = _column_indices(source, names, text_column, target_column, header)
        n_fields = len(names) if names else 1 + max(i for i in (text_i, target_i) if i is not None)
        for n, line in enumerate(lines, 2 if header else 1):
            row = line.split("\t", n_fields - 1) if line else []
            yield _row_record(row, text_i, target_i, convert, {"source": source, "line": n})


def read_jsonl(
    path: Path, text_column: str = "text", target_column: Column = "auto", target_type: str | None = None,
) -> Iterator[Record | BadRecord]:
    """One JSON object per line. The first object's fields fix the columns: a missing text or
    target field there is an error listing the fields present; later, a bad record."""
    convert = _target_converter(target_type) if target_type else None
    source = str(path)
    text_key = target_key = None
    with _open(path) as f:
        for n, raw in enumerate(f, 1):
            meta = {"source": source, "line": n}
            line = raw.strip()
            if not line:
                yield BadRecord("empty line", meta)
                continue
            if _UNDECODABLE.search(line):
                yield BadRecord("not valid UTF-8 text", meta)
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield BadRecord(f"not valid JSON ({e.msg}, column {e.colno})", meta)
                continue
            if not isinstance(obj, dict):
                yield BadRecord(f"expected a JSON object, got {type(obj).__name__}", meta)
                continue
            if text_key is None:
                names = list(obj)
                text_i, target_i = _column_indices(f"{source}:{n}", names, text_column, target_column, True)
                text_key = names[text_i]
                target_key = None if target_i is None else names[target_i]
            missing = [k for k in (text_key, target_key) if k is not None and k not in obj]
            if missing:
                yield BadRecord(f"no field {missing[0]!r} (fields: {', '.join(obj)})", meta)
                continue
            text = obj[text_key]
            if not isinstance(text, str) or not text.strip():
                yield BadRecord(f"field {text_key!r} is empty or not a string: {text!r:.40}", meta)
                continue
            target = None if target_key is None else obj[target_key]
            if convert is not None and target is not None:
                try:
                    target = convert(target)
                except (TypeError, ValueError):
                    yield BadRecord(f"target {target!r:.40} is not {target_type}", meta)
                    continue
            yield Record(text, target, meta)


def _target_converter(target_type: str) -> Any:
    if target_type not in _TARGET_TYPES:
        raise ConfigError(f"target_type must be one of {', '.join(_TARGET_TYPES)}, got {target_type!r}")
    return _TARGET_TYPES[target_type]


def _column_indices(
    source: str, names: Sequence[str] | None, text_column: Column, target_column: Column, header: bool
) -> tuple[int, int | None]:
    """Positions of the text and target columns; a missing one is a ReaderError listing the columns."""
    if names is None:
        if target_column == "auto":
            target_column = None
        bad = [(k, v) for k, v in (("text_column", text_column), ("target_column", target_column))
               if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0)]
        if bad:
            raise ConfigError([f"{k} must be a column position (0, 1, ...) when header=False, got {v!r}" for k, v in bad])
        return text_column, target_column  # type: ignore[return-value]
    names = [_UNDECODABLE.sub("\ufffd", str(n)).strip() for n in names]

    def find(column: Column, what: str) -> int:
        if isinstance(column, int) and not isinstance(column, bool):
            if 0 <= column < len(names):
                return column
            raise ReaderError(f"{source}: {what} position {column} is outside the {len(names)} columns: "
                              f"{', '.join(names)}")
        if column in names:
            return names.index(column)
        raise ReaderError(f"{source}: no column {column!r} ({what}). Columns present: {', '.join(names)}. "
                          f"Pass {what}=<one of these>.")

    text_i = find(text_column, "text_column")
    if target_column == "auto":
        target_i = next((names.index(c) for c in ("label", "target") if c in names), None)
    else:
        target_i = None if target_column is None else find(target_column, "target_column")
    return text_i, target_i


def _row_record(row: list[str], text_i: int, target_i: int | None, convert: Any, meta: dict) -> Record | BadRecord:
    if not row or not any(field.strip() for field in row):
        return BadRecord("empty row", meta)
    needed = max(text_i, -1 if target_i is None else target_i) + 1
    if len(row) < needed:
        return BadRecord(f"expected at least {needed} fields, got {len(row)}", meta)
    reason = _bad_bytes("".join(row))
    if reason:
        return BadRecord(reason, meta)
    text = row[text_i]
    if not text.strip():
        return BadRecord("empty text", meta)
    if target_i is None:
        return Record(text, meta=meta)
    try:
        target = convert(row[target_i].strip())
    except ValueError:
        return BadRecord(f"target {row[target_i]!r:.40} does not convert with {convert.__name__}", meta)
    return Record(text, target, meta)


# ------------------------------------------------------------------------------------------------
# Writer and example files
# ------------------------------------------------------------------------------------------------


def write_jsonl(samples: Sequence[str], path: Path) -> list[Path]:
    """Write texts as JSON Lines `{"text": ...}` (any text survives, newlines included)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for s in samples:
            f.write(json.dumps({"text": s}, ensure_ascii=False) + "\n")
    return [path]


def example_files(folder: Path) -> list[Path]:
    """One small valid file per reader suffix (the conformance kit reads them)."""
    folder = Path(folder)
    labels = ["ham", "spam", "ham", "ham", "spam"]
    files = {
        "example.txt": "".join(s.replace("\n", " ") + "\n" for s in EXAMPLES),
        "example.csv": "text,label\n" + "".join(
            '"' + s.replace('"', '""') + '",' + lab + "\n" for s, lab in zip(EXAMPLES, labels)
        ),
        "example.tsv": "label\ttext\n" + "".join(f"{lab}\t{s.replace(chr(10), ' ')}\n" for s, lab in zip(EXAMPLES, labels)),
        "example.jsonl": "".join(json.dumps({"text": s, "label": lab}, ensure_ascii=False) + "\n"
                                 for s, lab in zip(EXAMPLES, labels)),
    }
    paths = []
    for name, content in files.items():
        p = folder / name
        p.write_text(content, encoding="utf-8", newline="")
        paths.append(p)
    return paths
