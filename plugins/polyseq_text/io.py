"""Readers and writer of natural-language text: .txt, .csv, .tsv and .jsonl.

Files are decoded as UTF-8 with `surrogateescape` (gzip or not), so one undecodable row becomes a
`BadRecord` with its line instead of failing the whole file. Every record's meta has `source` and
`line` (1-based, the line where the record starts).

Tables and JSON Lines are read by the core helpers (`polyseq.read_table`, `polyseq.read_jsonl`)
with the standard options:
    column: the column (or JSON field) holding the text; default "text".
    target: the label/target column or field; default none. Targets are the text of the field
        (stripped), or the JSON value; `target_type` "str", "int", "float" or "auto" converts.
    header: (.csv/.tsv) False for a file without a header line; columns are then 0-based
        positions, e.g. the SMS Spam Collection: header=False, column=1, target=0.
A .tsv row is one line, unquoted, split at its first tabs only: the last column may hold tabs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from polyseq import (
    UNDECODABLE,
    BadRecord,
    ConfigError,
    Record,
    bad_text_reason,
    jsonl_reader,
    open_text,
    table_reader,
)

#: a handful of real-looking valid samples (Domain.examples; the example files hold them too)
EXAMPLES = (
    "The quick brown fox jumps over the lazy dog.",
    "Call me Ishmael. Some years ago - never mind how long precisely - I thought I would sail about.",
    "Free entry in a weekly competition! Text WIN to 80086 now (T&C apply).",
    "Naïve café owners in Zürich serve crème brûlée; 北京 has 21 million people.",
    "First line of a poem,\nsecond line with\ttab and  two spaces.",
)

_TXT_MODES = ("document", "line", "paragraph")


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
    with open_text(path) as f:
        if mode == "document":
            text = f.read().removeprefix("\ufeff")
            reason = bad_text_reason(text)
            if reason:
                line = 1 + text[: (UNDECODABLE.search(text) or re.search("\x00", text)).start()].count("\n")
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
    reason = bad_text_reason(text) or (empty_reason if not text.strip() else None)
    return BadRecord(reason, meta) if reason else Record(text, meta=meta)


# ------------------------------------------------------------------------------------------------
# .csv / .tsv / .jsonl: the core helpers, the text in column "text"
# ------------------------------------------------------------------------------------------------

read_csv = table_reader(column="text")
read_tsv = table_reader(column="text", delimiter="\t", join_extra=True)
read_jsonl = jsonl_reader(column="text")


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
