"""Token ids written to the cache as records stream past: memory bounded by a chunk, not the corpus.

The in-memory build (`SequenceDataModule._build_in_memory`) holds every record, every id list and
the tokenizer's training corpus at once: 2 GB for 50 MB of text lines. This builder makes (up to)
three passes over the records instead, holding a chunk of samples at a time; the files are read
and validated once, text records spooled to disk for the later passes (`StreamSource`):

    1. count the records of the files to split (a random split needs their number only);
    2. train a learned tokenizer on an iterable that re-reads the train records;
    3. read again, route each record to its split, tokenize `chunk_bytes` of samples at a time
       (optionally in `num_proc` worker processes) and append the ids to `<split>.ids.<type>`.

The result is file for file what the in-memory build writes (same ids, offsets, `where`, info),
so the loader and every task view read both alike. Workers get the tokenizer as its JSON dict and
samples as plain lists of strings; they return numpy arrays. Samples that are not text (MIDI
scores) are tokenized in this process.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from polyseq.errors import ConfigError, ReaderError
from polyseq.records import ReadReport, Record, sample_size
from polyseq.tokenizers.base import UNK_ID

log = logging.getLogger("polyseq.data")

#: samples tokenized together: the bound on what a build holds beyond the tokenizer
DEFAULT_CHUNK_BYTES = 4_000_000
#: samples with <unk> kept for the warning's examples (`unknown.unknown_symbols`)
UNK_EXAMPLES = 1000


def encode_chunk(tok: Any, samples: list[Any]) -> list[np.ndarray]:
    """The ids of each sample as int32 arrays: `encode_array` when the tokenizer has it, else `encode_batch`."""
    encode_array = getattr(tok, "encode_array", None)
    seqs = [encode_array(x) for x in samples] if encode_array else tok.encode_batch(samples)
    return [np.asarray(s, dtype=np.int32) for s in seqs]


_worker_tokenizer: Any = None


def _worker_init(tokenizer_dict: dict[str, Any]) -> None:
    global _worker_tokenizer
    from polyseq.tokenizers.serialization import tokenizer_from_dict

    _worker_tokenizer = tokenizer_from_dict(tokenizer_dict, source="the token cache builder")


def _worker_encode(samples: list[Any]) -> tuple[np.ndarray, np.ndarray, float]:
    start = time.perf_counter()
    seqs = encode_chunk(_worker_tokenizer, samples)
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    ids = np.concatenate(seqs) if seqs else np.empty(0, np.int32)
    return lengths, ids, time.perf_counter() - start


class SplitWriter:
    """Appends the ids of one split's records, chunk by chunk, to `<split>.ids.<id_type>`."""

    def __init__(self, folder: Path, split: str, id_type: str, encode: Callable[[list[Any]], Any], chunk_bytes: int,
                 pending_limit: int, watch_unknown: bool):
        from polyseq.data.cache import ID_TYPES

        self.folder, self.split, self.dtype = folder, split, ID_TYPES[id_type]
        self.encode, self.chunk_bytes, self.pending_limit = encode, chunk_bytes, pending_limit
        self.file = open(folder / f"{split}.ids.{id_type}", "wb")  # noqa: SIM115 - closed in finish()
        self.samples: list[Any] = []
        self.buffered = 0
        self.lengths = open(folder / f"{split}.lengths.tmp", "wb")  # noqa: SIM115 - closed in finish(); int64 each
        self.count = 0
        self.where = open(folder / f"{split}.where.jsonl", "w", encoding="utf-8")  # noqa: SIM115 - closed in finish()
        self.n_bytes = 0
        self.n_chunks = 0
        self.seconds = 0.0
        self.pending: deque[tuple[list[Any], Any]] = deque()
        self.watch_unknown = watch_unknown
        self.n_unk = 0
        self.unk_examples: list[tuple[Any, np.ndarray]] = []

    def add(self, record: Record) -> None:
        size = sample_size(record.sample)
        self.samples.append(record.sample)
        self.where.write(json.dumps(record.where) + "\n")
        self.n_bytes += size or 0
        self.buffered += size if size is not None else 1
        if self.buffered >= self.chunk_bytes:
            self.flush()

    def flush(self) -> None:
        if not self.samples:
            return
        samples, self.samples, self.buffered = self.samples, [], 0
        self.n_chunks += 1
        self.pending.append((samples, self.encode(samples)))
        while len(self.pending) > self.pending_limit:
            self._write(*self.pending.popleft())

    def _write(self, samples: list[Any], result: Any) -> None:
        lengths, ids, seconds = result.get() if hasattr(result, "get") else result
        self.seconds += seconds
        np.asarray(lengths, dtype=np.int64).tofile(self.lengths)
        self.count += len(lengths)
        ids.astype(self.dtype, copy=False).tofile(self.file)
        if self.watch_unknown:
            n_unk = int((ids == UNK_ID).sum())
            self.n_unk += n_unk
            if n_unk and len(self.unk_examples) < UNK_EXAMPLES:
                ends = np.cumsum(lengths)
                for sample, a, b in zip(samples, ends - lengths, ends, strict=True):
                    if (ids[a:b] == UNK_ID).any() and len(self.unk_examples) < UNK_EXAMPLES:
                        self.unk_examples.append((sample, ids[a:b]))

    def finish(self) -> dict[str, Any]:
        """Write what is left, the offsets and `<split>.json`; returns what info.json needs of it."""
        self.flush()
        while self.pending:
            self._write(*self.pending.popleft())
        self.file.close()
        self.where.close()
        self.lengths.close()
        n_tokens = write_offsets(Path(self.lengths.name), self.folder / f"{self.split}.offsets.npy", self.count)
        (self.folder / f"{self.split}.json").write_text(json.dumps({"n_bytes": self.n_bytes}))
        return {"count": self.count, "n_tokens": n_tokens, "n_bytes": self.n_bytes,
                "seconds": round(self.seconds, 4), "chunks": self.n_chunks}


def write_offsets(lengths: Path, out: Path, count: int, block: int = 1 << 20) -> int:
    """`out`: the .npy of the `count` + 1 offsets of the int64 lengths in the raw file `lengths`
    (deleted after), a block at a time through a plain file (not a memory map, whose dirty pages
    would count as resident): tens of millions of records never sit in memory at once, and the
    bytes are those `np.save` writes. Returns the number of tokens."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.int64)), "fortran_order": False, "shape": (count + 1,)}
    total = 0
    with open(lengths, "rb") as f, open(out, "wb") as o:
        np.lib.format.write_array_header_1_0(o, header)
        np.zeros(1, dtype=np.int64).tofile(o)
        for start in range(0, count, block):
            part = np.cumsum(np.fromfile(f, dtype=np.int64, count=min(block, count - start))) + total
            part.tofile(o)
            total = int(part[-1])
    lengths.unlink()
    return total


class Encoder:
    """Tokenizes chunks in this process, or in `num_proc` forked workers for text samples."""

    def __init__(self, tok: Any, num_proc: int):
        self.tok = tok
        self.pool = None
        if num_proc > 1:
            from polyseq.tokenizers.serialization import tokenizer_to_dict

            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self.pool = multiprocessing.get_context(method).Pool(
                num_proc, initializer=_worker_init, initargs=(tokenizer_to_dict(tok),))

    def __call__(self, samples: list[Any]) -> Any:
        if self.pool is not None and all(isinstance(s, str) for s in samples):
            return self.pool.apply_async(_worker_encode, (samples,))
        start = time.perf_counter()
        seqs = encode_chunk(self.tok, samples)
        lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
        ids = np.concatenate(seqs) if seqs else np.empty(0, np.int32)
        return lengths, ids, time.perf_counter() - start

    @property
    def pending_limit(self) -> int:
        return 2 * self.pool._processes if self.pool is not None else 0  # type: ignore[attr-defined]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


class StreamSource:
    """The records of each split, read once per pass; records of files to be split go to the split
    `assign` gives their index (0 train, 1 val, 2 test).

    With a `spool` folder, the first complete read of a file also writes its records (text samples
    and their meta) as JSON Lines there, and later passes replay them: a reader that validates each
    record (RDKit for SMILES, the LaTeX structure check) runs once per record, not once per pass.
    A file with a sample that is not text (a MIDI score) is read afresh on every pass."""

    def __init__(self, read: Callable[[Path, ReadReport], Iterator[Record]], files: dict[str, list[Path]],
                 splits: tuple[str, ...], spool: Path | None = None):
        self.read, self.files, self.splits = read, files, splits
        self.assign: np.ndarray | None = None
        self.spool = spool
        self.spooled: dict[Path, tuple[Path, int, list[Any]]] = {}  # file -> (spool file, records, bad records)

    def records(self, paths: list[Path], report: ReadReport, warn_empty: bool = False) -> Iterator[Record]:
        for p in paths:
            before = report.n_records
            yield from self._file(p, report)
            if warn_empty and report.n_records == before and len(paths) > 1:
                log.warning("%s: no records", p)

    def _file(self, path: Path, report: ReadReport) -> Iterator[Record]:
        if path in self.spooled:
            spooled, n, bad = self.spooled[path]
            report.files.append(str(path))
            report.n_records += n
            report.bad.extend(bad)
            with open(spooled, encoding="utf-8") as f:
                for line in f:
                    sample, meta = json.loads(line)
                    yield Record(sample, meta=meta)
            return
        if self.spool is None:
            yield from self.read(path, report)
            return
        self.spool.mkdir(exist_ok=True)
        target = self.spool / f"{len(self.spooled)}-{path.name}.jsonl"
        mine = ReadReport()
        out = open(target, "w", encoding="utf-8")  # noqa: SIM115 - closed below, also when abandoned
        try:
            for record in self.read(path, mine):
                if out is not None:
                    try:
                        if not isinstance(record.sample, str):
                            raise TypeError("not text")
                        out.write(json.dumps([record.sample, record.meta], ensure_ascii=False) + "\n")
                    except (TypeError, ValueError):  # not text, or meta JSON cannot hold: read afresh next time
                        out.close()
                        out = None
                        target.unlink()
                yield record
            if out is not None:
                out.close()
                out = None
                self.spooled[path] = (target, mine.n_records, list(mine.bad))
        finally:
            if out is not None:  # a pass abandoned part way: its spool is incomplete
                out.close()
                target.unlink(missing_ok=True)
            report.files.extend(mine.files)
            report.n_records += mine.n_records
            report.bad.extend(mine.bad)

    def count(self, split: str) -> int:
        return sum(1 for _ in self.records(self.files[split], ReadReport()))

    def routed(self) -> Iterator[tuple[str, Record]]:
        """(split, record) for every record, each source split's bad records logged as the
        in-memory build logs them; a source split without records is an error."""
        for source, paths in self.files.items():
            if not paths:
                continue
            report = ReadReport()
            for i, r in enumerate(self.records(paths, report, warn_empty=True)):
                if source == "train" and self.assign is not None:
                    yield self.splits[self.assign[i]], r
                else:
                    yield source, r
            message = f"{source}: {report.summary()}"
            (log.warning if report.n_bad else log.info)(message)
            if not report.n_records:
                bad = f" ({report.summary()})" if report.n_bad else ""
                raise ReaderError(f"{', '.join(map(str, paths))}: no records{bad}")

    def train_samples(self) -> Iterable[Any]:
        """A re-iterable of the train split's samples (a tokenizer may read them more than once)."""
        source = self

        class Samples:
            def __iter__(self) -> Iterator[Any]:
                for i, r in enumerate(source.records(source.files["train"], ReadReport())):
                    if source.assign is None or source.assign[i] == 0:
                        yield r.sample

        return Samples()


def check_parts(assign: np.ndarray | None, has_val_files: bool) -> None:
    if not has_val_files and assign is not None and not (assign == 1).any():
        raise ConfigError("the validation split is empty: give --data.val or a larger train set / val fraction")
