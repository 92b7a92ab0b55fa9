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

from polyseq import BadRecord, Record, bad_text_reason, open_text, too_long
from polyseq import read_jsonl as _read_jsonl

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
    with open_text(path) as f:
        lines = f.read().removeprefix("\ufeff").split("\n")
    for n, line in enumerate(lines, 1):
        reason = bad_text_reason(line)
        if reason:
            yield BadRecord(reason, {"source": source, "line": n})
            lines[n - 1] = ""  # its math (if any) is not read
    yield from _math_records("\n".join(lines), {"source": source}, 1, by_offset=True)


def read_formulas(path: Path, *, validate: bool = True) -> Iterator[Record | BadRecord]:
    """One formula per line (im2latex's `formulas.lst`, or any .txt). An empty or undecodable line is
    a bad record, and so is a line the domain's validator finds malformed (`'}' closes nothing`).

    The check is the validator's structural one (`validate(formula, renderer=False)`: braces,
    `\\left`/`\\right`, environments, known commands, script arguments); matplotlib's mathtext,
    ~20 ms a formula and narrower than LaTeX, is left to `metrics`. `validate=False` reads every
    line as it is (generated formulas, valid or not)."""
    from polyseq_latex.validate import validate as problem_of

    source = str(path)
    with open_text(path) as f:
        for n, raw in enumerate(f, 1):
            formula = raw.rstrip("\r\n")
            if n == 1:
                formula = formula.removeprefix("\ufeff")
            meta = {"source": source, "line": n}
            reason = too_long(formula) or bad_text_reason(formula) or ("empty line" if not formula.strip() else None)
            if reason is None and validate:
                reason = problem_of(formula, renderer=False)
            yield BadRecord(reason, meta) if reason else Record(formula, meta=meta)


def read_jsonl(
    path: Path, *, column: str = "formula", target: str | Sequence[str] | None = None,
    target_type: str | None = None, extract: bool = False,
) -> Iterator[Record | BadRecord]:
    """Formulas from one field of JSON objects, one per line (`polyseq.read_jsonl`: the first
    object must have `column` and `target`, else a ReaderError lists its fields). With
    `extract=True` the field is a text with math in it (MATH's `problem`/`solution`) and each math
    span becomes a record with the line's target."""
    for item in _read_jsonl(path, column=column, target=target, target_type=target_type):
        if isinstance(item, BadRecord):
            yield item
        elif not extract:
            yield Record(item.sample.strip(), item.target, item.meta)
        else:
            for span in _math_records(item.sample, {"source": item.meta["source"]}, item.meta["line"], by_offset=False):
                yield Record(span.sample, item.target, span.meta) if isinstance(span, Record) else span


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
