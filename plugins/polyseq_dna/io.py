"""DNA readers (FASTA, FASTQ, GenBank through Biopython `SeqIO`; CSV/TSV) and the FASTA writer.

Every reader opens gzip transparently (by the file's magic bytes, whatever its name), streams
record by record and yields `Record(sample=str, target, meta)` or `BadRecord(reason, meta)`.

meta of a record: `source` (the file), `line` (1-based line of the record's header: the `>` /
`@` / `LOCUS` line, or the CSV row), `id` (and `description` for SeqIO formats), `start`/`end`
(0-based, end exclusive, of the window within the record), `ambiguous` (letters other than ACGT,
N included) and `non_acgtn` (letters other than ACGTN: R, Y, U...) in the window.

Windows: `window=W` cuts each record into pieces of W bases every `stride` bases (default W, i.e.
adjacent); the last piece may be shorter so that no base is lost (a stride longer than W skips
the bases between windows, as asked); a record shorter than W is one piece. Without `window`, a
record is one sample.
A per-base target (`per_base_label=True` of the table reader: one label character per base, for
the tag task) is checked to have the sequence's length and cut into the same windows; any other
target is copied unchanged to every window of its record.

Memory: one record at a time. A record is held whole while its windows are produced (Biopython
parses a record in one piece; a 4.6 Mb chromosome costs about 4 x 4.6 MB), never the file: peak
memory is bounded by the largest record, not by the file size (benchmarks/dna_stream_memory.py).

Bad input: a record with a letter that is not an IUPAC code, or with no sequence, is a BadRecord
naming the file and header line. A file that cannot be parsed (not the format, truncated gzip,
truncated FASTQ, binary junk) raises ReaderError naming the file and line when nothing was read
yet; when records were read before the damage, those are kept and one BadRecord says where reading
stopped (SeqIO cannot resume after a parse error). A plain FASTA cut short cannot be told from a
shorter sequence: its last record is read as it is.
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from polyseq import BadRecord, ConfigError, ReaderError, Record
from polyseq import read_table as _read_table
from polyseq_dna.alphabet import count_letters, first_invalid

SEQIO_SUFFIXES = {
    "fasta": (".fa", ".fasta", ".fna", ".fas"),
    "fastq": (".fq", ".fastq"),
    "genbank": (".gb", ".gbk", ".genbank"),
}
_NAMES = {"fasta": "FASTA", "fastq": "FASTQ", "genbank": "GenBank"}
_HEADER = {"fasta": ">", "genbank": "LOCUS"}
# Biopython's warnings for a GenBank record cut short or inconsistent: the record is bad
_TRUNCATED = ("Premature end of file", "Expected sequence length")
SEQUENCE_COLUMNS = ("sequence", "seq")


# ------------------------------------------------------------------------------------------------
# Opening files and counting lines
# ------------------------------------------------------------------------------------------------


def open_text(path: Path) -> io.TextIOBase:
    """The file as UTF-8 text, decompressed when it starts with the gzip magic bytes."""
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", newline=None)  # type: ignore[return-value]
    return open(path, encoding="utf-8", newline=None)


class LineCounter(io.TextIOBase):
    """A text handle that counts the lines read through it, and remembers the numbers of the lines
    that start with `marker` (record headers) until `pop_header()` takes them."""

    def __init__(self, handle: Any, marker: str | None = None):
        self.handle, self.marker = handle, marker
        self.n = 0
        self.headers: list[int] = []

    def _seen(self, line: str) -> str:
        if line:
            self.n += 1
            if self.marker and line.startswith(self.marker):
                self.headers.append(self.n)
        return line

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        if size == 0:
            return ""
        data = self.handle.read(size)
        self.n += data.count("\n")
        return data

    def readline(self, size: int | None = -1) -> str:
        return self._seen(self.handle.readline())

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def pop_header(self) -> int | None:
        return self.headers.pop(0) if self.headers else None


# ------------------------------------------------------------------------------------------------
# Windows and checks shared by every reader
# ------------------------------------------------------------------------------------------------


def check_window(window: int | None, stride: int | None) -> tuple[int | None, int | None]:
    problems = []
    if window is not None and (not isinstance(window, int) or isinstance(window, bool) or window < 1):
        problems.append(f"window must be a positive integer (bases per sample), got {window!r}")
    if stride is not None:
        if window is None:
            problems.append(f"stride={stride!r} needs a window: give window= as well")
        elif not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
            problems.append(f"stride must be a positive integer (bases between window starts), got {stride!r}")
    if problems:
        raise ConfigError(problems)
    return window, (stride or window) if window else None


def window_bounds(length: int, window: int | None, stride: int | None) -> Iterator[tuple[int, int]]:
    """(start, end) of each window of a record of `length` bases (see the module docstring)."""
    if window is None or length <= window:
        yield 0, length
        return
    assert stride is not None
    start = 0
    while True:
        end = min(start + window, length)
        yield start, end
        start += stride
        if end == length or start >= length:
            return


def records_of(seq: str, target: Any, meta: dict[str, Any], window: int | None,
               stride: int | None, per_base: bool = False) -> Iterator[Record | BadRecord]:
    """Check one sequence, then yield its windows as Records (or one BadRecord).

    `per_base`: the target is a string of one label per base, cut into the same windows."""
    if not seq:
        yield BadRecord("empty sequence", meta)
        return
    if per_base and (not isinstance(target, str) or len(target) != len(seq)):
        got = f"{len(target)} label(s)" if isinstance(target, str) else f"a {type(target).__name__}"
        yield BadRecord(f"per-base labels: {got} for a sequence of {len(seq)} bases (one label per base expected)",
                        meta)
        return
    bad = first_invalid(seq)
    if bad is not None:
        pos, letter = bad
        yield BadRecord(f"letter {letter!r} at position {pos + 1} of the sequence is not an IUPAC "
                        f"nucleotide code (A C G T U N R Y S W K M B D H V)", meta)
        return
    for start, end in window_bounds(len(seq), window, stride):
        whole = (start, end) == (0, len(seq))
        piece = seq if whole else seq[start:end]
        ambiguous, non_acgtn = count_letters(piece)
        yield Record(piece, target[start:end] if per_base and not whole else target,
                     {**meta, "start": start, "end": end, "ambiguous": ambiguous, "non_acgtn": non_acgtn})


def _stopped(path: Path, fmt: str, record_line: int | None, fail_line: int, error: Exception,
             n_read: int) -> ReaderError | BadRecord:
    """The report for a parse error: ReaderError if nothing was read yet, else a BadRecord."""
    first_line = (str(error).strip().splitlines() or [""])[0]
    if "comments at the beginning" in first_line:  # Biopython's advice would be about its own API
        first_line = "text before the first '>' header line"
    what = f"{type(error).__name__}: {first_line}".rstrip(": ")
    if isinstance(error, EOFError):
        what = "the compressed file ends early (truncated copy or download?)"
    if n_read == 0:
        return ReaderError(f"{path}:{fail_line}: cannot be read as {fmt}: {what}. Check the file type and that "
                           "the file is complete.")
    meta: dict[str, Any] = {"source": str(path), "line": record_line or fail_line}
    return BadRecord(f"{fmt} record cannot be parsed ({what}, near line {fail_line}); reading stopped here, "
                     f"the {n_read} record(s) before it were kept", meta)


# ------------------------------------------------------------------------------------------------
# FASTA, FASTQ, GenBank
# ------------------------------------------------------------------------------------------------


def _read_seqio(path: Path, fmt: str, window: int | None, stride: int | None) -> Iterator[Record | BadRecord]:
    from Bio import BiopythonParserWarning, SeqIO
    from Bio.Seq import UndefinedSequenceError

    source, name = str(path), _NAMES[fmt]
    try:
        handle = open_text(path)
    except OSError as e:
        raise ReaderError(f"{path}: cannot be opened: {e}") from e
    counter = LineCounter(handle, _HEADER.get(fmt))
    n_read = 0
    next_header = 1  # FASTQ: the parser has read the next record's header when it yields a record

    def parse() -> Iterator[Any]:  # a generator, so that errors in SeqIO.parse's set-up land below
        yield from SeqIO.parse(counter, fmt)

    with handle:
        records = parse()
        while True:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", BiopythonParserWarning)
                    rec = next(records)
            except StopIteration:
                break
            except (ValueError, EOFError, OSError, zlib.error, AssertionError) as e:
                line = counter.pop_header() if fmt in _HEADER else next_header
                parsed_line = isinstance(e, ValueError) and not isinstance(e, UnicodeDecodeError)
                problem = _stopped(path, name, line, counter.n if parsed_line else counter.n + 1, e, n_read)
                if isinstance(problem, ReaderError):
                    raise problem from e
                yield problem
                return
            line = counter.pop_header() if fmt in _HEADER else next_header
            next_header = counter.n
            n_read += 1
            meta: dict[str, Any] = {"source": source, "line": line, "id": rec.id, "description": rec.description}
            truncated = [str(w.message) for w in caught if str(w.message).startswith(_TRUNCATED)]
            for w in caught:  # other parser warnings (odd feature locations...) pass through
                if not str(w.message).startswith(_TRUNCATED):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            if truncated:
                yield BadRecord(f"truncated {name} record: {'; '.join(truncated)}", meta)
                continue
            try:
                seq = str(rec.seq)
            except UndefinedSequenceError:
                yield BadRecord("GenBank record has no sequence (only features or a CONTIG line)", meta)
                continue
            yield from records_of(seq, None, meta, window, stride)
    if n_read == 0:
        raise ReaderError(f"{path}: no {name} records found. Is it empty, or in another format? "
                          f"{name} files end in {', '.join(SEQIO_SUFFIXES[fmt])} (optionally .gz).")


def read_fasta(path: Path, window: int | None = None, stride: int | None = None) -> Iterator[Record | BadRecord]:
    """FASTA (.fa .fasta .fna .fas, plain or gzip): one record per `>` entry, or its windows."""
    return _read_seqio(Path(path), "fasta", *check_window(window, stride))


def read_fastq(path: Path, window: int | None = None, stride: int | None = None) -> Iterator[Record | BadRecord]:
    """FASTQ (.fq .fastq, plain or gzip); qualities are not kept."""
    return _read_seqio(Path(path), "fastq", *check_window(window, stride))


def read_genbank(path: Path, window: int | None = None, stride: int | None = None) -> Iterator[Record | BadRecord]:
    """GenBank flat files (.gb .gbk .genbank, plain or gzip); features are not kept."""
    return _read_seqio(Path(path), "genbank", *check_window(window, stride))


# ------------------------------------------------------------------------------------------------
# CSV / TSV
# ------------------------------------------------------------------------------------------------


def read_table(path: Path, *, column: str | int | None = None, target: str | int | list[str | int] | None = None,
               target_type: str | None = None, delimiter: str | None = None, header: bool = True,
               window: int | None = None, stride: int | None = None,
               per_base_label: bool = False) -> Iterator[Record | BadRecord]:
    """CSV/TSV (plain or gzip), one record per row (or its windows), read by `polyseq.read_table`.

    The sequence column is `column`, else the first named `sequence` or `seq` (any case), else the
    only one whose name contains one of them. `target` names the target column(s) (none by
    default); targets are kept as the text in the file (a class, a protein sequence, a label per
    base). `per_base_label=True`: the target holds one label character per base (tag data); a row
    whose labels and sequence differ in length is a BadRecord, and windows cut the labels with the
    sequence. Rows with the wrong number of fields, an empty sequence or target, or a letter that
    is not an IUPAC code are BadRecords with their line.
    """
    if not isinstance(per_base_label, bool):
        raise ConfigError(f"per_base_label must be true or false, got {per_base_label!r}")
    if per_base_label and target in (None, ""):
        raise ConfigError("per_base_label=True needs target=<the column of per-base labels>")
    window, stride = check_window(window, stride)
    rows = _read_table(path, column=column, target=target, target_type=target_type, delimiter=delimiter,
                       header=header, sample_names=SEQUENCE_COLUMNS)
    for row in rows:
        if isinstance(row, BadRecord):
            yield row
        else:
            yield from records_of(row.sample, row.target, row.meta, window, stride, per_base_label)


# ------------------------------------------------------------------------------------------------
# Writing, summaries, example files
# ------------------------------------------------------------------------------------------------


def write_fasta(samples: Iterable[Any], path: str | os.PathLike[str], prefix: str = "sample") -> list[Path]:
    """Write samples (strings, or Records) as FASTA through Biopython; gzip when `path` ends in .gz."""
    from Bio import SeqIO
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def seq_records() -> Iterator[SeqRecord]:
        for i, s in enumerate(samples, start=1):
            seq = s.sample if isinstance(s, Record) else s
            rid = str(s.meta.get("id", f"{prefix}_{i}")) if isinstance(s, Record) else f"{prefix}_{i}"
            yield SeqRecord(Seq(seq), id=rid, description="")

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "wt", encoding="ascii") as f:  # type: ignore[operator]
        SeqIO.write(seq_records(), f, "fasta")
    return [path]


def parse_text(text: str) -> str:
    """A sample from command-line text: whitespace removed; FASTA text gives its sequence lines."""
    lines = text.strip().splitlines()
    if lines and lines[0].startswith(">"):
        lines = [ln for ln in lines if not ln.startswith(">")]
    return "".join("".join(lines).split())


def summarize(records: Iterable[Record]) -> dict[str, int]:
    """Counts over read records: records, bases, records with ambiguous letters (non-ACGT, N
    included) and with non-ACGTN letters, and the totals of those letters."""
    out: Counter[str] = Counter()
    for r in records:
        out["records"] += 1
        out["bases"] += len(r.sample)
        a, x = r.meta.get("ambiguous", 0), r.meta.get("non_acgtn", 0)
        out["records_with_ambiguous"] += a > 0
        out["records_with_non_acgtn"] += x > 0
        out["ambiguous_letters"] += a
        out["non_acgtn_letters"] += x
    return dict(out)
