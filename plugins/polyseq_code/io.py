"""Readers (single source files, source trees, JSON Lines) and the writer of generated code.

Every record's `sample` is a `SourceCode` (a `str` that knows its language), its `target` the
language label (the Pygments lexer's name: `Python`, `C++`, `Go`; `R` for Pygments' `S`) - a
language-identification task for free - and its meta `source`, `line` and `language`. Files are
read as bytes and decoded as UTF-8 with no newline translation, so `\\r\\n` and a final newline (or
its absence) reach the tokenizer exactly as they are on disk.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from polyseq import BadRecord, ConfigError, ReaderError, Record
from polyseq import read_jsonl as _read_jsonl
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
    path: Path, *, column: str = "code", target: str | Sequence[str] | None = "language",
    target_type: str | None = None, language: str | None = None,
) -> Iterator[Record | BadRecord]:
    """JSON Lines, one object per line with the code in field `column` and its label in `target`.

    Read by `polyseq.read_jsonl`: a field missing from the first object is a `ReaderError`
    listing the fields present (the file or the option is wrong; `target=None` reads unlabelled
    code); a line that is not a JSON object, whose code is not a non-empty string or that lacks a
    field is a `BadRecord` with its line number. The code is kept exactly (no stripping). When the
    label names a Pygments language (`Python`, `C++`, `R`) the sample carries that language, else
    `language` (when given); an `id` field goes to the meta.
    """
    default_lexer = resolve_language(language) if language is not None else None
    for item in _read_jsonl(path, column=column, target=target, target_type=target_type, meta_fields=("id",)):
        if isinstance(item, BadRecord):
            yield item
            continue
        lexer_cls = default_lexer
        if isinstance(item.target, str):
            try:
                lexer_cls = resolve_language(item.target)
            except ConfigError:
                pass
        name = label(lexer_cls) if lexer_cls is not None else None
        yield Record(SourceCode(item.sample, name), item.target, {**item.meta, "language": name})


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
