"""Cheap re-verification of what the dataset cache holds, every time a dataset is used.

A file is hashed once, when it is put in place; its stamp (size, modification time in ns, SHA-256)
is kept beside it. On each later use only `stat` is compared with the stamp; a file whose size or
time changed is hashed again, and accepted only if its SHA-256 is still the one verified (a `touch`
or a copy of the same bytes passes, a replaced file does not). `datasets fetch --verify` hashes
everything whatever the stamps say.

    datasets/<name>/.<file>.verified        the stamp of one downloaded file (JSON)
    datasets/<name>/seed-0.manifest.json    the stamps of every file of a generated or derived
                                            folder, written when the folder was made (a file added
                                            to or removed from the folder is a change too)

A cache made before stamps existed gets them on first use (the files are hashed then).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from polyseq.catalog.download import sha256_of


@dataclass(frozen=True)
class Check:
    """The outcome of checking one file: `ok`, and whether its bytes were hashed to decide."""

    ok: bool
    hashed: bool
    sha256: str | None = None


def _stat(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no stamp, or a damaged one: hash again
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only cache: the next use hashes again, nothing is wrong


def record(path: Path, sha256: str) -> None:
    """Stamp `path` as verified with this SHA-256."""
    _write_json(stamp_path(path), {**_stat(path), "sha256": sha256})


def check_file(path: Path, expected: str | None, *, full: bool = False) -> Check:
    """Is the cached `path` still the file that was verified? `expected`: the catalog's SHA-256
    (None when the source publishes none: then the stamp's own hash is the reference)."""
    stamp = _read_json(stamp_path(path))
    if stamp is not None and not full and {k: stamp.get(k) for k in ("size", "mtime_ns")} == _stat(path) \
            and (expected is None or stamp.get("sha256") == expected):
        return Check(True, hashed=False, sha256=stamp.get("sha256"))
    got = sha256_of(path)
    reference = expected if expected is not None else (stamp or {}).get("sha256")
    ok = reference is None or got == reference  # no reference at all: trusted on first use, stamped now
    if ok:
        record(path, got)
    return Check(ok, hashed=True, sha256=got)


# ---- folders a plugin's function made (generated, derived) ----------------------------------------


def manifest_path(folder: Path) -> Path:
    return folder.with_name(f"{folder.name}.manifest.json")


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def record_folder(folder: Path) -> None:
    """Stamp every file of `folder` (after the function that made it finished)."""
    entries = {p.relative_to(folder).as_posix(): {**_stat(p), "sha256": sha256_of(p)} for p in _files(folder)}
    _write_json(manifest_path(folder), {"files": entries})


def folder_changes(folder: Path, *, full: bool = False) -> list[str]:
    """What changed in `folder` since it was stamped: files added, removed or with other bytes
    (a changed size or time is hashed; equal bytes only refresh the stamp). Empty: unchanged.
    A folder without a manifest (made before stamps existed) is stamped now and reported unchanged."""
    manifest = _read_json(manifest_path(folder))
    if manifest is None or not isinstance(manifest.get("files"), dict):
        record_folder(folder)
        return []
    stamped: dict[str, dict] = manifest["files"]
    present = {p.relative_to(folder).as_posix(): p for p in _files(folder)}
    changes = [f"{name} was removed" for name in sorted(set(stamped) - set(present))]
    changes += [f"{name} was added" for name in sorted(set(present) - set(stamped))]
    refreshed = False
    for name in sorted(set(present) & set(stamped)):
        stamp, stat = stamped[name], _stat(present[name])
        if not full and {k: stamp.get(k) for k in ("size", "mtime_ns")} == stat:
            continue
        if sha256_of(present[name]) != stamp.get("sha256"):
            changes.append(f"{name} has other bytes than when it was made")
        else:
            stamped[name] = {**stat, "sha256": stamp.get("sha256")}
            refreshed = True
    if refreshed and not changes:
        _write_json(manifest_path(folder), {"files": stamped})
    return changes
