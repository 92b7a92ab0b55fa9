"""Readers (single source files, source trees, JSON Lines) and the writer of generated code.

Every record's `sample` is a `SourceCode` (a `str` that knows its language), its `target` the
language label (the Pygments lexer's name: `Python`, `C++`, `Go`; `R` for Pygments' `S`) - a
language-identification task for free - and its meta `source`, `line` and `language`. Files are
read as bytes and decoded as UTF-8 with no newline translation, so `\\r\\n` and a final newline (or
its absence) reach the tokenizer exactly as they are on disk.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from polyseq.errors import ConfigError, ReaderError
from polyseq.records import BadRecord, Record
from polyseq_code.lexers import SUFFIXES, SourceCode, canonical, label, language_of, resolve_language

_SNIFF = 8192  # bytes looked at for a NUL byte, the mark of a binary file


def _decode(data: bytes, encoding: str) -> str:
    """The file's text, or ValueError saying why it is not text."""
    nul = data.find(b"\x00", 0, _SNIFF)
    if nul >= 0:
        raise ValueError(f"binary file (NUL byte at offset {nul}), not source code")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise ValueError(
            f"not {encoding} text (byte 0x{data[e.start]:02x} at offset {e.start}); "
            f"re-encode the file as UTF-8 or pass encoding="
        ) from None


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ConfigError(f"encoding must be a codec name such as 'utf-8' or 'latin-1', got {encoding!r}") from None


def _lexer_for_file(path: Path, language: str | None) -> Any:
    if language is not None:
        return resolve_language(language)
    alias = SUFFIXES.get(path.suffix.lower())
    return resolve_language(alias) if alias else None


def _record(text: str, lexer_cls: Any, meta: dict[str, Any]) -> Record:
    name = label(lexer_cls)
    return Record(SourceCode(text, name), target=name, meta={**meta, "language": name})


def read_source(path: Path, language: str | None = None, encoding: str = "utf-8") -> Iterator[Record]:
    """One source file, one record; its language from `language` or else from the file's suffix."""
    _check_encoding(encoding)
    lexer_cls = _lexer_for_file(path, language)
    if lexer_cls is None:
        raise ReaderError(f"{path}: no language for suffix {path.suffix!r}; pass language= (e.g. language='python')")
    try:
        text = _decode(path.read_bytes(), encoding)
    except ValueError as e:
        raise ReaderError(f"{path}: {e}") from None
    if not text:
        raise ReaderError(f"{path}: empty file, no source code to read")
    yield _record(text, lexer_cls, {"source": str(path), "line": 1})


def read_tree(
    path: Path, glob: str = "**/*", language: str | None = None, encoding: str = "utf-8", skip_hidden: bool = True
) -> Iterator[Record | BadRecord]:
    """Every source file under a directory, one record each, in sorted path order.

    A file matching `glob` is read when its suffix is one of the domain's (`.py`, `.rs`...), or
    every matching file when `language` is given; with `skip_hidden`, paths with a part starting
    with "." (`.git`, `.venv`) are left out. A binary, undecodable or empty source file is a
    `BadRecord` naming the file; `meta["path"]` is the file's path relative to the directory.
    """
    if not isinstance(glob, str) or not glob:
        raise ConfigError(f"glob must be a non-empty pattern such as '**/*.py', got {glob!r}")
    _check_encoding(encoding)
    forced = resolve_language(language) if language is not None else None
    n_files = 0
    for file in sorted(path.glob(glob)):
        rel = file.relative_to(path)
        if not file.is_file() or (skip_hidden and any(p.startswith(".") for p in rel.parts)):
            continue
        lexer_cls = forced or _lexer_for_file(file, None)
        if lexer_cls is None:
            continue
        n_files += 1
        meta = {"source": str(file), "line": 1, "path": rel.as_posix()}
        try:
            text = _decode(file.read_bytes(), encoding)
        except ValueError as e:
            yield BadRecord(str(e), meta)
            continue
        except OSError as e:
            yield BadRecord(f"cannot read: {type(e).__name__}: {e}", meta)
            continue
        if not text:
            yield BadRecord("empty file", meta)
            continue
        yield _record(text, lexer_cls, meta)
    if n_files == 0:
        known = " ".join(sorted(SUFFIXES))
        raise ReaderError(
            f"{path}: no source files match glob={glob!r} (read suffixes: {known}); "
            "change glob=, or pass language= to read every matching file in that language"
        )


def read_jsonl(
    path: Path, code_field: str = "code", label_field: str | None = "language", language: str | None = None
) -> Iterator[Record | BadRecord]:
    """JSON Lines, one object per line with the code in `code_field` and its label in `label_field`.

    The label is the record's target; when it names a Pygments language (`Python`, `C++`, `R`)
    the sample carries that language, else `language` (when given). A line that is not a JSON
    object, or whose code is not a non-empty string, is a `BadRecord` with its line number. A
    field missing from the first object is a `ReaderError` listing the fields present (the file
    or the option is wrong); missing from a later object, a `BadRecord`.
    """
    if not isinstance(code_field, str) or not (label_field is None or isinstance(label_field, str)):
        raise ConfigError(f"code_field must be a field name and label_field a field name or None, "
                          f"got code_field={code_field!r}, label_field={label_field!r}")
    fields = [f for f in (code_field, label_field) if f is not None]
    default_lexer = resolve_language(language) if language is not None else None
    first = True
    with open(path, "rb") as f:
        for n, raw in enumerate(f, start=1):
            meta = {"source": str(path), "line": n}
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield BadRecord(f"not UTF-8 (byte 0x{raw[e.start]:02x} at column {e.start + 1})", meta)
                continue
            if not line.strip():
                yield BadRecord("blank line (JSON Lines has one object per line)", meta)
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield BadRecord(f"not valid JSON: {e.msg} (column {e.colno})", meta)
                continue
            if not isinstance(obj, dict):
                yield BadRecord(f"a JSON {type(obj).__name__}, expected an object with {', '.join(fields)}", meta)
                continue
            missing = [k for k in fields if k not in obj]
            if missing and first:
                raise ReaderError(
                    f"{path}:{n}: no field {', '.join(repr(k) for k in missing)}. Fields present: "
                    f"{', '.join(obj) or '(none)'}. Pass code_field= / label_field= (label_field=None "
                    "reads unlabelled code)."
                )
            first = False
            if missing:
                yield BadRecord(f"no field {', '.join(map(repr, missing))} (fields present: {', '.join(obj)})", meta)
                continue
            yield _jsonl_record(obj, code_field, label_field, default_lexer, meta)


def _jsonl_record(
    obj: dict[str, Any], code_field: str, label_field: str | None, default_lexer: Any, meta: dict[str, Any]
) -> Record | BadRecord:
    code = obj[code_field]
    if not isinstance(code, str) or not code:
        return BadRecord(f"field {code_field!r} must be a non-empty string, got {code!r:.40}", meta)
    target = obj[label_field] if label_field is not None else None
    lexer_cls = default_lexer
    if isinstance(target, str):
        try:
            lexer_cls = resolve_language(target)
        except ConfigError:
            pass
    name = label(lexer_cls) if lexer_cls is not None else None
    if "id" in obj and "id" not in (code_field, label_field):
        meta = {**meta, "id": obj["id"]}
    return Record(SourceCode(code, name), target=target, meta={**meta, "language": name})


def write_samples(samples: Iterable[str], path: Path, language: str | None = None) -> list[Path]:
    """One file per sample in folder `path` (`sample_00000.py`...), written byte for byte.

    The suffix is that of the sample's language (a `SourceCode`), else of `language`, else `.py`.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    suffix_of: dict[str, str] = {}
    for suffix, alias in SUFFIXES.items():
        suffix_of.setdefault(canonical(alias), suffix)
    written = []
    for i, sample in enumerate(samples):
        lexer_cls = resolve_language(language_of(sample, language) or "python")
        alias = lexer_cls.aliases[0]
        suffix = suffix_of.get(alias) or next(
            (p[1:] for p in lexer_cls.filenames if p.startswith("*.") and "[" not in p), ".txt"
        )
        out = path / f"sample_{i:05d}{suffix}"
        out.write_bytes(str(sample).encode("utf-8"))
        written.append(out)
    return written
