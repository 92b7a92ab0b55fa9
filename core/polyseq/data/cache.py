"""Token ids on disk: one flat array per split plus record offsets, keyed by a fingerprint.

The ids are uint16 when the vocabulary fits (`<split>.ids.uint16`: half the disk and page cache
of a large corpus), else int32 (`<split>.ids.int32`); at training time the file is memory-mapped
read-only, so a corpus larger than memory trains as it is.

A prepared dataset lives in `$POLYSEQ_CACHE/tokens/<fingerprint>/`; the fingerprint covers the
input files (path, size, modification time), the domain, reader options, split, tokenizer and its
options, so any change prepares afresh and an unchanged run loads in about a second. A folder is
written under a temporary name and renamed when complete: an interrupted run never leaves a
cache that looks finished. The builder holds a lock on `<tmp>/.lock`, so the next run can tell a
killed build's leftover folder (lock free) from one being written, and removes it (`clean_stale`).
A cache folder that no longer loads (a truncated ids file) is rebuilt with a warning.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from polyseq.data import cache_root, write_atomically
from polyseq.errors import ConfigError, PolyseqError

log = logging.getLogger("polyseq.data")

CACHE_FORMAT = 4  # 2: info.json records encode_seconds; MIDI samples count their bytes; 3: tasks, ragged targets; 4: uint16 ids

#: the on-disk types of token ids, by file suffix
ID_TYPES = {"uint16": np.uint16, "int32": np.int32}


def ids_dtype(vocab_size: int) -> str:
    """The smallest id type (a key of ID_TYPES) that holds every id of a vocabulary of `vocab_size`."""
    return "uint16" if vocab_size <= 1 << 16 else "int32"


def ids_path(folder: Path, split: str) -> Path:
    """The ids file of `split` in a cache folder, whichever type it was written with."""
    for suffix in ID_TYPES:
        path = folder / f"{split}.ids.{suffix}"
        if path.exists():
            return path
    raise CorruptCache(f"{folder}: no ids file for split {split!r}")


def file_signature(path: str | os.PathLike[str]) -> list[Any]:
    """What identifies a file's content cheaply; a directory is the list of its files."""
    path = Path(path).resolve()
    if path.is_dir():
        return [file_signature(p) for p in sorted(path.rglob("*")) if p.is_file()]
    st = path.stat()
    return [str(path), st.st_size, st.st_mtime_ns]


class CorruptCache(PolyseqError):
    """A cache folder whose files do not agree with each other (a truncated ids file)."""


#: a temporary folder with no lock file (written before locks, or killed before taking it) is
#: taken for a leftover once it is this old
STALE_UNLOCKED_SECONDS = 3600


def writable_root(kind: str = "tokens") -> Path:
    """`cache_root()/kind`, created; an unwritable cache is a one-line error naming POLYSEQ_CACHE."""
    folder = cache_root() / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as e:
        raise ConfigError(
            f"the token cache {folder} cannot be written ({type(e).__name__}: {e.strerror or e}). Set POLYSEQ_CACHE "
            "to a writable folder (default: $XDG_CACHE_HOME/polyseq or ~/.cache/polyseq)") from None
    return folder


def build(final: Path, fill: Any) -> None:
    """Create folder `final` by `fill(tmp)` in a locked temporary folder, then rename it; a
    concurrent writer's result wins (`write_atomically`)."""
    write_atomically(final, fill)


def clean_stale(parent: Path) -> list[Path]:
    """Remove the temporary folders of builds that were killed: their lock is free (or, without a
    lock file, they are older than STALE_UNLOCKED_SECONDS). Returns the folders removed."""
    removed = []
    for tmp in parent.glob(".*.tmp*"):
        if not tmp.is_dir():
            continue
        lock_path = tmp / ".lock"
        try:
            if lock_path.exists():
                fd = os.open(lock_path, os.O_RDWR)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a build in progress
                finally:
                    os.close(fd)
            elif time.time() - tmp.stat().st_mtime < STALE_UNLOCKED_SECONDS:
                continue
        except FileNotFoundError:  # finished or removed meanwhile
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    if removed:
        log.info("removed %d leftover folder(s) of interrupted cache builds in %s", len(removed), parent)
    return removed


def fingerprint(parts: dict[str, Any]) -> str:
    text = json.dumps({"cache_format": CACHE_FORMAT, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass
class TokenArrays:
    """The token ids of one split: sequence i is `ids[offsets[i]:offsets[i+1]]`.

    `targets` holds one value (or row of values) per record; a task whose targets are sequences
    (per-token labels, target token ids) stores them as `ragged`, another TokenArrays-like pair of
    flat ids and offsets: target sequence i is `ragged.sequence(i)`.
    """

    ids: np.ndarray
    offsets: np.ndarray
    targets: np.ndarray | None
    where: Sequence[str]  # "file:line" of each record (`Locations` when loaded: read on first use)
    n_bytes: int  # bytes of the original samples (`polyseq.records.stored_size`; 0 when unknown)
    ragged: Ragged | None = None

    @classmethod
    def from_sequences(
        cls, seqs: Sequence[Sequence[int]], targets: Any, where: list[str], n_bytes: int
    ) -> TokenArrays:
        """`targets`: None, an array with one entry per record, or one int sequence per record (ragged)."""
        ids, offsets = flatten(seqs)
        if targets is None or isinstance(targets, np.ndarray):
            return cls(ids, offsets, targets, where, n_bytes)
        return cls(ids, offsets, None, where, n_bytes, Ragged(*flatten(targets)))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sequence(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i] : self.offsets[i + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def n_tokens(self) -> int:
        return int(self.offsets[-1])

    def save(self, folder: Path, split: str, id_type: str = "int32") -> None:
        """Write the split's files; `id_type` (`ids_dtype(vocab_size)`) is the on-disk type of the ids."""
        self.ids.astype(ID_TYPES[id_type], copy=False).tofile(folder / f"{split}.ids.{id_type}")
        np.save(folder / f"{split}.offsets.npy", self.offsets)
        if self.targets is not None:
            np.save(folder / f"{split}.targets.npy", self.targets)
        if self.ragged is not None:
            self.ragged.ids.tofile(folder / f"{split}.target_ids.int32")
            np.save(folder / f"{split}.target_offsets.npy", self.ragged.offsets)
        write_where(folder / f"{split}.where.jsonl", self.where)
        (folder / f"{split}.json").write_text(json.dumps({"n_bytes": self.n_bytes}))

    @classmethod
    def load(cls, folder: Path, split: str) -> TokenArrays:
        path = ids_path(folder, split)
        dtype = np.dtype(ID_TYPES[path.suffix[1:]])
        # memory-mapped like the ids: 8 bytes a record that the OS pages in and out (55.8 M records: 446 MB)
        offsets = np.load(folder / f"{split}.offsets.npy", mmap_mode="r", allow_pickle=False)
        size = path.stat().st_size
        if len(offsets) == 0 or size != dtype.itemsize * int(offsets[-1]):
            expected = dtype.itemsize * int(offsets[-1]) if len(offsets) else "?"
            raise CorruptCache(f"{path}: {size} bytes, the offsets say {expected}")
        ids = np.memmap(path, dtype=dtype, mode="r") if size else np.empty(0, dtype)
        targets_path = folder / f"{split}.targets.npy"
        targets = np.load(targets_path, allow_pickle=False) if targets_path.exists() else None
        info = json.loads((folder / f"{split}.json").read_text())
        ragged = None
        if (folder / f"{split}.target_offsets.npy").exists():
            ragged = Ragged(np.fromfile(folder / f"{split}.target_ids.int32", dtype=np.int32),
                            np.load(folder / f"{split}.target_offsets.npy", allow_pickle=False))
        return cls(ids, offsets, targets, Locations(folder / f"{split}.where.jsonl", len(offsets) - 1), info["n_bytes"], ragged)


def write_where(path: Path, where: Iterable[str]) -> None:
    """One JSON string per line: where each record came from."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(w) + "\n" for w in where)


class Locations(Sequence[str]):
    """The "file:line" of each record of a cached split, read from its file on first use only:
    millions of records cost nothing at start-up."""

    def __init__(self, path: Path, n: int):
        self.path, self.n = path, n
        self._lines: list[str] | None = None

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if self._lines is None:
            with open(self.path, encoding="utf-8") as f:
                self._lines = [json.loads(line) for line in f]
        return self._lines[i]


@dataclass
class Ragged:
    """Sequences of ints stored flat: sequence i is `ids[offsets[i]:offsets[i+1]]`."""

    ids: np.ndarray
    offsets: np.ndarray

    def sequence(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i] : self.offsets[i + 1]]


def flatten(seqs: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """One flat int32 array of all sequences, and the offsets (len + 1) where each starts."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.empty(int(offsets[-1]), dtype=np.int32)
    for s, a, b in zip(seqs, offsets[:-1], offsets[1:], strict=True):
        ids[a:b] = s
    return ids, offsets
