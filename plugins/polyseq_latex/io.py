"""Readers and writer of LaTeX math: .tex documents, one-formula-per-line files, JSON Lines.

A formula is a string of LaTeX math without its delimiters. Files are decoded as UTF-8 with
`surrogateescape`, so an undecodable line is a `BadRecord` with its line number, never a crash.
Every record's meta has `source` and `line` (1-based, where the formula starts).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from polyseq.errors import ReaderError
from polyseq.records import BadRecord, Record
from polyseq.textio import bad_text_reason as _bad_bytes
from polyseq.textio import open_text as _open

#: a handful of real-looking valid formulas (Domain.examples; the example files hold them too)
EXAMPLES = (
    r"\frac{-b \pm \sqrt{b^2 - 4ac}}{2a}",
    r"e^{i \pi} + 1 = 0",
    r"\sum_{k=1}^{\infty} \frac{1}{k^2} = \frac{\pi^2}{6}",
    r"\int_0^1 x^{n} \, dx = \frac{1}{n+1}",
    r"\left( \begin{array}{cc} \alpha & \beta \\ \gamma & \delta \end{array} \right)",
    r"f(x) = \left\{ x \text{ if } x > 0 \right.",
)

MATH_ENVS = ("equation", "align", "gather", "multline", "eqnarray", "flalign", "alignat", "math", "displaymath")
_ENV_OPEN = r"\\begin\{(" + "|".join(MATH_ENVS) + r")(\*?)\}"
_OPENER = re.compile(_ENV_OPEN + r"|\$\$|\$|\\\(|\\\[|\\.", re.S)
_CLOSERS = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}
_COMMENT = re.compile(r"\\.|%[^\n]*", re.S)






# ------------------------------------------------------------------------------------------------
# Extracting math from a document
# ------------------------------------------------------------------------------------------------


def strip_comments(text: str) -> str:
    """`text` without `%` comments (line breaks kept, `\\%` kept)."""
    return _COMMENT.sub(lambda m: m.group() if m.group()[0] == "\\" else "", text)


def extract_math(text: str) -> Iterator[tuple[int, str, str | None]]:
    """(offset, delimiter, formula-or-None) for each math span of a LaTeX document.

    Spans: `$...$`, `$$...$$`, `\\(...\\)`, `\\[...\\]` and the math environments (`equation`,
    `align`, `gather`, `multline`, `eqnarray`, `flalign`, `alignat`, `math`, `displaymath`, starred
    or not), whose body is the formula. The formula is None when the span is never closed.
    Escaped characters (`\\$`) are skipped; call `strip_comments` first.
    """
    pos = 0
    while True:
        m = _OPENER.search(text, pos)
        if m is None:
            return
        if m.group(1) is None and m.group().startswith("\\") and m.group() not in _CLOSERS:
            pos = m.end()  # an escaped character such as \$ or \\
            continue
        if m.group(1) is not None:
            delimiter = m.group(1) + m.group(2)
            closer = "\\end{" + delimiter + "}"
        else:
            delimiter = m.group()
            closer = _CLOSERS[delimiter]
        end = _find_closer(text, m.end(), closer)
        if end is None:
            yield m.start(), delimiter, None
            return
        body = text[m.end():end]
        if delimiter.startswith("alignat"):
            body = re.sub(r"^\s*\{[^{}]*\}", "", body)  # alignat's {number of columns}
        yield m.start(), delimiter, body
        pos = end + len(closer)


def _find_closer(text: str, start: int, closer: str) -> int | None:
    pattern = re.compile(re.escape(closer) + r"|\\.", re.S)
    for m in pattern.finditer(text, start):
        if m.group() == closer:
            return m.start()
    return None


def _math_records(text: str, meta: dict[str, Any], first_line: int, by_offset: bool) -> Iterator[Record | BadRecord]:
    line, seen = first_line, 0
    text = strip_comments(text)  # line breaks are kept, so offsets still count lines
    for offset, delimiter, body in extract_math(text):
        if by_offset:
            line += text.count("\n", seen, offset)
            seen = offset
        where = {**meta, "line": line, "delimiter": delimiter}
        if body is None:
            yield BadRecord(f"math opened with {delimiter!r} is never closed", where)
        elif not body.strip():
            yield BadRecord(f"empty formula in {delimiter!r}", where)
        else:
            yield Record(body.strip(), meta=where)


# ------------------------------------------------------------------------------------------------
# Readers
# ------------------------------------------------------------------------------------------------


def read_tex(path: Path) -> Iterator[Record | BadRecord]:
    """Every math span of a .tex document (see `extract_math`), one record each."""
    source = str(path)
    with _open(path) as f:
        lines = f.read().removeprefix("\ufeff").split("\n")
    for n, line in enumerate(lines, 1):
        reason = _bad_bytes(line)
        if reason:
            yield BadRecord(reason, {"source": source, "line": n})
            lines[n - 1] = ""  # its math (if any) is not read
    yield from _math_records("\n".join(lines), {"source": source}, 1, by_offset=True)


def read_formulas(path: Path) -> Iterator[Record | BadRecord]:
    """One formula per line (im2latex's `formulas.lst`, or any .txt); an empty line is a bad record."""
    source = str(path)
    with _open(path) as f:
        for n, raw in enumerate(f, 1):
            formula = raw.rstrip("\r\n")
            if n == 1:
                formula = formula.removeprefix("\ufeff")
            meta = {"source": source, "line": n}
            reason = _bad_bytes(formula) or ("empty line" if not formula.strip() else None)
            yield BadRecord(reason, meta) if reason else Record(formula, meta=meta)


def read_jsonl(
    path: Path, field: str = "formula", target_column: str | None = None, extract: bool = False
) -> Iterator[Record | BadRecord]:
    """Formulas from one field of JSON objects, one per line. With `extract=True` the field is a
    text with math in it (MATH's `problem`/`solution`) and each math span becomes a record.
    The first object must have `field` (and `target_column`): if not, a ReaderError lists its fields."""
    source = str(path)
    checked = False
    with _open(path) as f:
        for n, raw in enumerate(f, 1):
            meta = {"source": source, "line": n}
            reason = _bad_bytes(raw) or ("empty line" if not raw.strip() else None)
            if reason:
                yield BadRecord(reason, meta)
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as e:
                yield BadRecord(f"not valid JSON ({e.msg}, column {e.colno})", meta)
                continue
            if not isinstance(obj, dict):
                yield BadRecord(f"expected a JSON object, got {type(obj).__name__}", meta)
                continue
            missing = [k for k in (field, target_column) if k is not None and k not in obj]
            if missing and not checked:
                raise ReaderError(f"{source}:{n}: no field {missing[0]!r}. Fields present: {', '.join(obj)}. "
                                  "Pass field=<one of these> (and target_column=... for a label).")
            checked = True
            if missing:
                yield BadRecord(f"no field {missing[0]!r} (fields: {', '.join(obj)})", meta)
                continue
            value = obj[field]
            if not isinstance(value, str) or not value.strip():
                yield BadRecord(f"field {field!r} is empty or not a string: {value!r:.40}", meta)
                continue
            target = None if target_column is None else obj[target_column]
            if not extract:
                yield Record(value.strip(), target, meta)
                continue
            for item in _math_records(value, {"source": source}, n, by_offset=False):
                yield Record(item.sample, target, item.meta) if isinstance(item, Record) else item


# ------------------------------------------------------------------------------------------------
# Command-line text, writer, example files
# ------------------------------------------------------------------------------------------------

_WRAPPED = re.compile(r"^\s*(?:\$\$(.*)\$\$|\$(.*)\$|\\\((.*)\\\)|\\\[(.*)\\\])\s*$", re.S)


def parse(text: str) -> str:
    """A formula from command-line text: one pair of math delimiters around it is removed."""
    m = _WRAPPED.match(text)
    if m is None:
        return text
    inner = next(g for g in m.groups() if g is not None)
    return inner if "$" not in inner.replace("\\$", "") else text


def write_formulas(samples: Sequence[str], path: Path) -> list[Path]:
    """One formula per line, each in its normal form (one line, no comments); empty ones are skipped
    with a warning, since an empty line would read back as a bad record."""
    from polyseq_latex.tokenizers import normal_form

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    skipped = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for s in samples:
            line = normal_form(s)
            if line:
                f.write(line + "\n")
            else:
                skipped += 1
    if skipped:
        warnings.warn(f"{path}: {skipped} empty formula(s) not written", stacklevel=2)
    return [path]


def example_files(folder: Path) -> list[Path]:
    """One small valid file per reader suffix (the conformance kit reads them)."""
    folder = Path(folder)
    body = "\n".join(
        [r"\documentclass{article}", r"\begin{document}", f"Euler wrote ${EXAMPLES[1]}$ % famous",
         f"and \\[{EXAMPLES[0]}\\]", r"\begin{align*}", EXAMPLES[2] + r" \\", r"\end{align*}",
         f"Also \\({EXAMPLES[3]}\\) costs \\$5, and $${EXAMPLES[4]}$$", r"\begin{equation}", EXAMPLES[5],
         r"\end{equation}", r"\end{document}", ""]
    )
    lines = "".join(e + "\n" for e in EXAMPLES)
    jsonl = "".join(json.dumps({"formula": e, "label": i % 2}) + "\n" for i, e in enumerate(EXAMPLES))
    paths = []
    for name, content in [("example.tex", body), ("example.txt", lines), ("formulas.lst", lines),
                          ("example.jsonl", jsonl)]:
        p = folder / name
        p.write_text(content, encoding="utf-8", newline="")
        paths.append(p)
    return paths
