"""Reader building blocks: CSV/TSV tables, JSON Lines and FASTA-like files, on one option vocabulary.

A domain's reader is `reader(path, **options)` yielding `Record(sample, target, meta)` or
`BadRecord(reason, meta)`. These helpers do what every such reader needs (gzip, undecodable
bytes, line numbers, finding columns, one bad record per bad input) so that a domain writes only
what is its own, often in one line each::

    readers={".csv": polyseq.table_reader(sample_names=("sequence",), check=validate),
             ".jsonl": polyseq.jsonl_reader(column="sequence", check=validate),
             ".fa": polyseq.fasta_reader(check=validate)}

The vocabulary, shared by every built-in reader:

    column       the sample: a column name (or 0-based position), a JSON field, a FASTA-like
                 field. None: the helper's default rule (`sample_names`, then the first column).
    target       None (no target), one name (or position), or a list of them: the record's
                 target is then the list of values (several regression targets).
    target_type  None (default): the target as the file holds it - the text of a table field or
                 FASTA header field, stripped of surrounding whitespace; the value of a JSON field.
                 "str", "int", "float" convert (a value that does not convert is a bad record);
                 "auto": text that reads as a number becomes a float, other text stays text.
    check        `check(sample) -> None | reason`, e.g. the domain's validator: a reason makes
                 the record a BadRecord.
    convert      `convert(text) -> sample`: a ValueError it raises makes a BadRecord with its message.
    meta_fields  names of further columns/fields copied into each record's meta, when present.

Targets stay text unless asked: the tasks convert what they need (classify labels by their text,
regress parses numbers, tag reads one label per position of a string, seq2seq parses the target
text in its domain), and text read as numbers behind the user's back would turn a per-base label
string "0011" into 11.0 or the SMILES "1e5" into 100000.0.

Bad input: every record a helper cannot use is one BadRecord naming the file and line (a row's
first line, the JSON line, the FASTA header line): a row with the wrong number of fields, an empty
sample or target, undecodable or NUL bytes, invalid JSON, a failing `convert` or `check`. A file
that cannot be read as a whole raises ReaderError: a column that does not exist (the message lists
those that do), a table without its header line, a FASTA-like file without a `>` line. A gzip file
cut short keeps its records before the cut and reports the cut as one BadRecord.
"""

from __future__ import annotations

import csv
import inspect
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyseq.errors import ConfigError, PluginError, ReaderError
from polyseq.records import BadRecord, Record
from polyseq.textio import UNDECODABLE, NumberedLines, bad_text_reason, open_text

Item = Record | BadRecord
Column = str | int
Check = Callable[[Any], "str | None"]
Convert = Callable[[str], Any]

TARGET_TYPES = ("str", "int", "float", "auto")


# ------------------------------------------------------------------------------------------------
# Options shared by every helper
# ------------------------------------------------------------------------------------------------


def _is_position(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _target_list(target: Any) -> tuple[list[Column], bool]:
    """(names or positions, whether the target is a list). "" is None (DNA tables' old `label=''`)."""
    if target is None or target == "":
        return [], False
    if isinstance(target, str) or _is_position(target):
        return [target], False
    if isinstance(target, Sequence) and target and all(isinstance(t, str) and t or _is_position(t) for t in target):
        return list(target), True
    raise ConfigError(f"target must be a column or field name, a position, or a list of them (null: no target), "
                      f"got {target!r}")


def _check_target_type(target_type: Any) -> None:
    if target_type is not None and target_type not in TARGET_TYPES:
        raise ConfigError(f"target_type must be one of {', '.join(TARGET_TYPES)} (or null: as the file holds it), "
                          f"got {target_type!r}")


def _typed(value: Any, target_type: str | None) -> Any:
    """`value` as `target_type` asks (see the module docstring); ValueError when it is not of that type."""
    if target_type is None:
        return value
    if isinstance(value, bool) and target_type in ("int", "float"):
        raise ValueError(f"{value!r} is a boolean")
    if target_type == "str":
        return value if isinstance(value, str) else str(value)
    if target_type == "int":
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            return int(value)
        return int(value.strip() if isinstance(value, str) else value)
    if target_type == "float":
        return float(value)
    if isinstance(value, str):  # auto
        try:
            return float(value)
        except ValueError:
            return value
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _sample(text: Any, meta: dict[str, Any], convert: Convert | None, check: Check | None) -> Item:
    """The Record for one sample's text, or the BadRecord `convert` or `check` makes of it."""
    sample = text
    if convert is not None:
        try:
            sample = convert(text)
        except ValueError as e:
            return BadRecord(str(e) or f"cannot convert {text!r:.60} ({type(e).__name__})", meta)
    if check is not None:
        reason = check(sample)
        if reason:
            return BadRecord(str(reason), meta)
    return Record(sample, meta=meta)


def _targets(values: list[Any], names: list[Any], many: bool, target_type: str | None,
             what: str) -> tuple[Any, str | None]:
    """(target, None) or (None, the reason the values are not a usable target)."""
    empty = [repr(n) for n, v in zip(names, values) if v is None or isinstance(v, str) and not v.strip()]
    if empty:
        return None, f"no target: empty {what}{'s' if len(empty) > 1 else ''} {', '.join(empty)}"
    out = []
    for name, value in zip(names, values):
        try:
            out.append(_typed(value, target_type))
        except (TypeError, ValueError):
            return None, f"target {value!r:.40} in {what} {name!r} is not {target_type} (target_type={target_type})"
    return (out if many else out[0] if out else None), None


def _with_target(item: Item, target: Any) -> Item:
    return Record(item.sample, target, item.meta) if isinstance(item, Record) else item


# ------------------------------------------------------------------------------------------------
# Tables: CSV / TSV
# ------------------------------------------------------------------------------------------------


def _open(path: str | os.PathLike[str]) -> Any:
    """The file as text (`open_text`: gzip, undecodable bytes kept for `bad_text_reason`), or a
    ReaderError naming it."""
    try:
        return open_text(path)
    except OSError as e:
        raise ReaderError(f"{path}: cannot be opened: {e.strerror or e}") from e


def _delimiter_for(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    return "\t" if name.endswith((".tsv", ".tab")) else ","


def _rows(lines: Iterable[str], delimiter: str, quoting: bool) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line where the row starts, fields or None, why not) per row; a blank line is the row []."""
    if not quoting:
        for n, raw in enumerate(lines, 1):
            line = raw.rstrip("\r\n")
            yield n, (line.split(delimiter) if line else []), ""
        return
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:  # the reader starts afresh on the next line
            yield end + 1, None, f"not valid CSV ({e})"
        else:
            yield end + 1, row, ""
        end = reader.line_num


def _find_column(names: list[str], wanted: Column, source: str, option: str) -> int:
    if _is_position(wanted):
        if 0 <= wanted < len(names):
            return wanted
        raise ReaderError(f"{source}: {option}={wanted} is outside the {len(names)} columns: {', '.join(names)}")
    if wanted in names:
        return names.index(wanted)
    folded = [i for i, n in enumerate(names) if n.lower() == str(wanted).strip().lower()]
    if len(folded) == 1:
        return folded[0]
    raise ReaderError(f"{source}: no column {wanted!r}. Columns present: {', '.join(names) or '(none)'}. "
                      f"Pass {option}=<one of these>.")


def _default_column(names: list[str], sample_names: Sequence[str], source: str, what: str = "column") -> int:
    """The sample column when `column` is None: see `read_table`."""
    if not sample_names:
        return 0
    folded = [n.strip().lower() for n in names]
    for name in sample_names:
        if name.lower() in folded:
            return folded.index(name.lower())
    for name in sample_names:
        hits = [i for i, n in enumerate(folded) if name.lower() in n]
        if len(hits) == 1:
            return hits[0]
    raise ReaderError(f"{source}: cannot tell which {what} holds the samples: none is named "
                      f"{' or '.join(map(repr, sample_names))}. {what.capitalize()}s present: "
                      f"{', '.join(names) or '(none)'}. Pass column=<one of these>.")


def read_table(
    path: str | os.PathLike[str],
    *,
    column: Column | None = None,
    target: Column | Sequence[Column] | None = None,
    target_type: str | None = None,
    delimiter: str | None = None,
    header: bool = True,
    quoting: bool | None = None,
    join_extra: bool = False,
    meta_fields: Sequence[str] = (),
    sample_names: Sequence[str] = (),
    convert: Convert | None = None,
    check: Check | None = None,
) -> Iterator[Item]:
    """Rows of a CSV or TSV file (plain or gzip), one record per row.

    Args:
        column: the sample column: a name (exact, else the one equal ignoring case) or a 0-based
            position. None: the first column named like one of `sample_names` (ignoring case),
            else the only column whose name contains one of them, else a ReaderError listing the
            columns; without `sample_names` (or without a header), the first column.
        target: None, a column, or a list of columns (the target is then the list of values).
        target_type: None keeps the stripped text; "str", "int", "float" or "auto" convert.
        delimiter: None: a tab for `.tsv`/`.tab` (`.gz` or not), else a comma.
        header: False for a file without a header line; columns are then positions.
        quoting: whether fields may be quoted (`"a, b"`, and then span lines). None: yes for
            commas, no for tabs (a TSV row is one line, and a `"` in it is just a character).
        join_extra: a row with more fields than expected (the header's, or without a header the
            last position asked for) has the extra ones joined, delimiter included, into its last
            field: tab-separated text whose last column may itself hold tabs.
        meta_fields: columns whose values go into each record's meta (those the header has).
        sample_names: the names `column=None` looks for (a domain's "sequence", "smiles"...).
        convert, check: see the module docstring; they apply to the stripped sample text.

    A blank line, a row with more or fewer fields than the header (without a header: fewer than
    the columns asked for), an empty sample or target, undecodable bytes in the fields read, or
    a quoting error is a BadRecord with the row's first line. Meta: `source`, `line`.
    """
    path = Path(path)
    names_t, many = _target_list(target)
    _check_target_type(target_type)
    delimiter = delimiter or _delimiter_for(path)
    quoting = delimiter != "\t" if quoting is None else quoting
    if not header:
        bad = [f"{option} must be a column position (0, 1, ...) when header=false, got {value!r}"
               for option, value in [("column", column), *(("target", t) for t in names_t)]
               if value is not None and not (_is_position(value) and value >= 0)]
        if bad:
            raise ConfigError(bad)
    source = str(path)
    handle = _open(path)
    with handle:
        lines = NumberedLines(handle)
        rows = _rows(lines, delimiter, quoting)
        names: list[str] = []
        if header:
            first = next(rows, None)
            if first is None or first[1] is None:
                why = lines.cut or (first[2] if first else "the file is empty")
                raise ReaderError(f"{path}: line 1: expected a header line naming the columns ({why}); "
                                  "pass header=false for a file without one")
            names = [UNDECODABLE.sub("\ufffd", n).strip() for n in first[1]]
        layout = _layout(names, column, names_t, meta_fields, sample_names, source)
        for line, row, problem in rows:
            meta: dict[str, Any] = {"source": source, "line": line}
            if row is None:
                yield BadRecord(problem, meta)
                continue
            if join_extra and len(row) > layout.n_fields:
                row = [*row[: layout.n_fields - 1], delimiter.join(row[layout.n_fields - 1:])]
            yield _row_item(row, layout, meta, many, target_type, convert, check)
        if lines.cut:
            yield BadRecord(lines.cut, {"source": source, "line": lines.n + 1})


@dataclass(frozen=True)
class _Layout:
    """Where a table's sample, targets and meta fields are (`names` is empty without a header)."""

    names: list[str]
    sample: int
    targets: list[int]
    metas: list[tuple[str, int]]

    @property
    def n_fields(self) -> int:
        """The fields of a row: the header's, or without one at least up to the last column asked for."""
        return len(self.names) or 1 + max([self.sample, *self.targets])

    def label(self, i: int) -> str:
        return repr(self.names[i]) if self.names else f"#{i}"


def _layout(names: list[str], column: Column | None, targets: list[Column], meta_fields: Sequence[str],
            sample_names: Sequence[str], source: str) -> _Layout:
    if not names:
        return _Layout([], column or 0, list(targets), [])  # type: ignore[arg-type]  # positions, checked
    sample = _default_column(names, sample_names, source) if column is None else _find_column(
        names, column, source, "column")
    return _Layout(names, sample, [_find_column(names, t, source, "target") for t in targets],
                   [(n, names.index(n)) for n in meta_fields if n in names])


def _row_item(row: list[str], layout: _Layout, meta: dict[str, Any], many: bool, target_type: str | None,
              convert: Convert | None, check: Check | None) -> Item:
    """The Record for one row of a table, or the BadRecord saying why it is not one."""
    if not row or (len(row) == 1 and not row[0].strip()):
        return BadRecord("empty line", meta)
    if layout.names and len(row) != len(layout.names):
        return BadRecord(f"row has {len(row)} field(s), the header has {len(layout.names)}", meta)
    if len(row) < layout.n_fields:
        return BadRecord(f"row has {len(row)} field(s), column {layout.n_fields - 1} was asked for", meta)
    used = [layout.sample, *layout.targets, *(i for _, i in layout.metas)]
    reason = bad_text_reason("".join(row[i] for i in used))
    if reason:
        return BadRecord(reason, meta)
    text = row[layout.sample].strip()
    if not text:
        return BadRecord(f"no sample: column {layout.label(layout.sample)} is empty", meta)
    names = [layout.names[i] if layout.names else i for i in layout.targets]
    value, reason = _targets([row[i].strip() for i in layout.targets], names, many, target_type, "column")
    if reason:
        return BadRecord(reason, meta)
    meta.update((name, row[i].strip()) for name, i in layout.metas)
    return _with_target(_sample(text, meta, convert, check), value)


# ------------------------------------------------------------------------------------------------
# JSON Lines
# ------------------------------------------------------------------------------------------------

_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


def _field_names(obj: Mapping[str, Any], column: str | None, names_t: list[Any], sample_names: Sequence[str],
                 where: str) -> str:
    """The sample field, fixed by the first object; a field it lacks is a ReaderError listing its fields."""
    keys = list(obj)
    if column is None:
        column = keys[_default_column(keys, sample_names, where, "field")] if keys else ""
    missing = [repr(k) for k in (column, *names_t) if k not in obj]
    if missing:
        raise ReaderError(f"{where}: no field {', '.join(missing)}. Fields present: {', '.join(keys) or '(none)'}. "
                          "Pass column=<field> (and target=<field>, or target=null for no target).")
    return column


def read_jsonl(
    path: str | os.PathLike[str],
    *,
    column: str | None = None,
    target: str | Sequence[str] | None = None,
    target_type: str | None = None,
    meta_fields: Sequence[str] = (),
    sample_names: Sequence[str] = (),
    convert: Convert | None = None,
    check: Check | None = None,
) -> Iterator[Item]:
    """One JSON object per line (plain or gzip), one record per object.

    `column` names the field holding the sample, a non-empty string, passed as it is (not
    stripped) to `convert`; None: the first field named like one of `sample_names` (ignoring case),
    else the first field of the first object. The first object fixes the fields: a `column` or
    `target` field it lacks is a ReaderError listing its fields (the option or the file is wrong);
    a later object without them is a BadRecord. Targets keep their JSON value unless
    `target_type` says otherwise; null or "" is no target (a BadRecord).

    A blank line, invalid JSON, a value that is not an object, an empty or non-string sample is a
    BadRecord with its line. Meta: `source`, `line`, and `meta_fields` present in the object.
    """
    path = Path(path)
    names_t, many = _target_list(target)
    _check_target_type(target_type)
    if (column is not None and not isinstance(column, str)) or any(not isinstance(t, str) for t in names_t):
        raise ConfigError(f"column and target of a JSON Lines file are field names, got column={column!r}, "
                          f"target={target!r}")
    source = str(path)
    field: str | None = None
    handle = _open(path)
    with handle:
        lines = NumberedLines(handle)
        for n, raw in enumerate(lines, 1):
            meta: dict[str, Any] = {"source": source, "line": n}
            line = raw.strip()
            reason = "empty line (JSON Lines has one object per line)" if not line else bad_text_reason(line)
            if reason:
                yield BadRecord(reason, meta)
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield BadRecord(f"not valid JSON ({e.msg}, column {e.colno})", meta)
                continue
            if not isinstance(obj, dict):
                yield BadRecord(f"expected a JSON object, got {_JSON_TYPES.get(type(obj), 'a value')}", meta)
                continue
            if field is None:
                field = _field_names(obj, column, names_t, sample_names, f"{source}:{n}")
            missing = [repr(k) for k in (field, *names_t) if k not in obj]
            if missing:
                yield BadRecord(f"no field {', '.join(missing)} (fields present: {', '.join(obj)})", meta)
                continue
            text = obj[field]
            if not isinstance(text, str) or not text.strip():
                yield BadRecord(f"field {field!r} is empty or not a string: {text!r:.40}", meta)
                continue
            value, reason = _targets([obj[t] for t in names_t], names_t, many, target_type, "field")
            if reason:
                yield BadRecord(reason, meta)
                continue
            meta.update((k, obj[k]) for k in meta_fields if k in obj)
            yield _with_target(_sample(text, meta, convert, check), value)
        if lines.cut:
            yield BadRecord(lines.cut, {"source": source, "line": lines.n + 1})


# ------------------------------------------------------------------------------------------------
# FASTA-like: a `>` header line, then body lines
# ------------------------------------------------------------------------------------------------

_KEY_VALUE = re.compile(r"([^\s|;=]+)=([^\s|;]*)")


def header_fields(header: str) -> dict[Column, str]:
    """The fields of a FASTA-like header (the text after `>`), as `read_fasta_like` selects them:

    `id` the first word, `description` the rest; each `key=value` token (a value ends at
    whitespace, `|` or `;`); and, by position 0, 1, 2..., the `|`-separated parts of the header
    (`>sp|P69905|HBA_HUMAN ...`: 1 is "P69905").
    """
    words = header.strip().split(None, 1)
    fields: dict[Column, str] = {"id": words[0] if words else "", "description": words[1] if len(words) > 1 else ""}
    fields.update((m.group(1), m.group(2)) for m in _KEY_VALUE.finditer(header))
    fields.update(enumerate(part.strip() for part in header.strip().split("|")))
    return fields


def sequence_body(header: str, lines: list[str]) -> dict[str, str]:
    """The default body: the lines joined into the `sequence` field (FASTA's wrapped sequence)."""
    return {"sequence": "".join(lines)}


def read_fasta_like(
    path: str | os.PathLike[str],
    *,
    column: str = "sequence",
    target: Column | Sequence[Column] | None = None,
    target_type: str | None = None,
    meta_fields: Sequence[str] = (),
    parse_entry: Callable[[str, list[str]], Mapping[str, Any]] | None = None,
    convert: Convert | None = None,
    check: Check | None = None,
) -> Iterator[Item]:
    """Entries that start with a `>` header line followed by body lines (plain or gzip).

    FASTA, and formats like RNA dot-bracket `.dbn` (header, sequence line, structure line). Each
    entry becomes named fields: the header's (`header_fields`: `id`, `description`, `key=value`
    tokens, `|`-separated parts by position) and the body's, which `parse_entry(header, lines)`
    returns (lines stripped, blank ones left out; default `sequence_body`: the lines joined into
    `sequence`). A ValueError from `parse_entry` is a BadRecord with its message. `column` picks
    the sample from these fields, `target` the target: `target="label"` reads `>x label=tata`,
    `target=1` reads `>x|tata`, `target="structure"` a body field of a `.dbn` parse_entry.

    The first entry fixes the fields: a `column`/`target` field it lacks is a ReaderError listing
    its fields; a later entry without them is a BadRecord. Text before the first header, an
    entry without body, undecodable bytes, an empty sample or target are BadRecords at the
    header's line; a file with no `>` line at all is a ReaderError. Meta: `source`, `line` (the
    header's), `id`, `description`, and `meta_fields` present in the entry.
    """
    path = Path(path)
    names_t, many = _target_list(target)
    _check_target_type(target_type)
    parse = parse_entry or sequence_body
    source = str(path)
    handle = _open(path)
    checked = False

    def entry(line: int, header: str, body: list[str]) -> Item:
        nonlocal checked
        meta: dict[str, Any] = {"source": source, "line": line}
        reason = bad_text_reason(header + "".join(body))
        if reason:
            return BadRecord(reason, meta)
        fields = header_fields(header)
        meta.update(id=fields["id"], description=fields["description"])
        if not body:
            return BadRecord("no body lines after the header", meta)
        try:
            fields.update(parse(header, body))
        except ValueError as e:
            return BadRecord(str(e) or f"cannot parse the entry ({type(e).__name__})", meta)
        missing = [repr(k) for k in (column, *names_t) if k not in fields]
        if missing:
            present = ", ".join(str(k) for k in fields)
            if not checked:
                raise ReaderError(f"{source}:{line}: no field {', '.join(missing)} in the first entry. Fields present: "
                                  f"{present}. Pass column=<field> (and target=<field>, or target=null).")
            return BadRecord(f"no field {', '.join(missing)} (fields present: {present})", meta)
        checked = True
        text = fields[column]
        if isinstance(text, str) and not text.strip() or text is None:
            return BadRecord(f"no sample: field {column!r} is empty", meta)
        value, reason = _targets([fields[t] for t in names_t], names_t, many, target_type, "field")
        if reason:
            return BadRecord(reason, meta)
        meta.update((k, fields[k]) for k in meta_fields if k in fields)
        return _with_target(_sample(text, meta, convert, check), value)

    with handle:
        lines = NumberedLines(handle)
        start, header, body = 0, None, []  # type: ignore[var-annotated]
        preamble: BadRecord | None = None
        for n, raw in enumerate(lines, 1):
            line = raw.rstrip("\r\n")
            if line.startswith(">"):
                if header is not None:
                    yield entry(start, header, body)
                elif preamble is not None:
                    yield preamble
                start, header, body = n, line[1:], []
            elif header is not None:
                if line.strip():
                    body.append(line.strip())
            elif line.strip() and preamble is None:
                preamble = BadRecord(f"text before the first '>' header line: {line.strip()!r:.40}",
                                     {"source": source, "line": n})
        if header is not None:
            yield entry(start, header, body)
        elif lines.cut is None:
            where = f" ({preamble.reason}, line {preamble.meta['line']})" if preamble else " (the file is empty)"
            raise ReaderError(f"{path}: no '>' header line{where}: not a FASTA-like file")
        if lines.cut:
            yield BadRecord(lines.cut, {"source": source, "line": lines.n + 1})


# ------------------------------------------------------------------------------------------------
# Factories: a reader with a domain's defaults, in one line
# ------------------------------------------------------------------------------------------------

#: options a factory fixes (code, not data): they are not reader options a user can pass
FIXED = ("convert", "check", "parse_entry")


def _factory(helper: Callable[..., Iterator[Item]], defaults: dict[str, Any]) -> Callable[..., Iterator[Item]]:
    signature = inspect.signature(helper)
    unknown = [k for k in defaults if k not in signature.parameters or k == "path"]
    if unknown:
        accepted = [n for n in signature.parameters if n != "path"]
        raise PluginError(f"{helper.__name__.replace('read_', '')}_reader: unknown option(s) {', '.join(unknown)}. "
                          f"Accepted: {', '.join(accepted)}.")
    params = [p.replace(default=defaults.get(name, p.default)) for name, p in signature.parameters.items()
              if name not in FIXED]
    accepted = {p.name for p in params[1:]}

    def reader(path: str | os.PathLike[str], **options: Any) -> Iterator[Item]:
        unknown = [k for k in options if k not in accepted]
        if unknown:
            raise ConfigError(f"{helper.__name__}: unknown option(s) {', '.join(unknown)}. "
                              f"Accepted: {', '.join(sorted(accepted))}.")
        return helper(path, **{**defaults, **options})

    reader.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    reader.__name__ = reader.__qualname__ = helper.__name__
    shown = ", ".join(f"{k}={v!r}" for k, v in defaults.items() if k not in FIXED)
    fixed = ", ".join(k for k in defaults if k in FIXED)
    reader.__doc__ = (f"`polyseq.{helper.__name__}` with defaults {shown or '(none)'}"
                      f"{f' and a fixed {fixed}' if fixed else ''}.\n\n{helper.__doc__}")
    return reader


def table_reader(**defaults: Any) -> Callable[..., Iterator[Item]]:
    """A reader for `Domain.readers`: `read_table` with these defaults (`check=`, `convert=` fixed).

    The reader's signature shows every other option with its default, so `Domain.read` checks
    the options users pass: `readers={".csv": polyseq.table_reader(sample_names=("smiles",), check=validate)}`.
    """
    return _factory(read_table, defaults)


def jsonl_reader(**defaults: Any) -> Callable[..., Iterator[Item]]:
    """A reader for `Domain.readers`: `read_jsonl` with these defaults (`check=`, `convert=` fixed)."""
    return _factory(read_jsonl, defaults)


def fasta_reader(**defaults: Any) -> Callable[..., Iterator[Item]]:
    """A reader for `Domain.readers`: `read_fasta_like` with these defaults (`check=`, `convert=`,
    `parse_entry=` fixed): `polyseq.fasta_reader(parse_entry=dbn_fields, check=validate)`."""
    return _factory(read_fasta_like, defaults)
