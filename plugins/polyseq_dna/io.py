"""DNA readers (FASTA, FASTQ, GenBank through Biopython; CSV/TSV) and the FASTA writer.

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

Memory: one record at a time. A record is held whole while its windows are produced (a 4.6 Mb
chromosome costs a few times 4.6 MB), never the file: peak memory is bounded by the largest
record, not by the file size (benchmarks/dna_stream_memory.py).

Bad input is a BadRecord naming the file and the line, and reading goes on. Files are decoded
with `polyseq.open_text` (bytes that are not UTF-8 survive as escapes), so such bytes, or NUL
bytes, spoil only the record they are in. Biopython parses (`SimpleFastaParser`,
`FastqGeneralIterator`, the GenBank scanner); around it:
  * every format: a record with a letter that is not an IUPAC code, or with no sequence; a gzip
    stream cut short (the record it cuts is bad, the ones before are kept).
  * FASTA: text before the first `>` line. A line of junk between records joins the sequence
    before it, which is then bad. A plain FASTA cut short cannot be told from a shorter
    sequence: its last record is read as it is.
  * FASTQ: a record Biopython cannot parse is reported, and reading resumes at the next record
    start (an `@` line followed by a sequence line, a `+` line and a quality line as long as the
    sequence). When the failing record's first four lines are such a record, it is kept and the
    lines after it are the bad record. Qualities are not kept, but characters outside `!`..`~`
    (Phred+33) make the record bad, as Biopython's own check does.
  * GenBank: each `LOCUS` .. `//` record is parsed on its own, so one it cannot parse (or one cut
    short) is bad and the next is read; text between records is a bad record; text before the
    first `LOCUS` line is skipped, as Biopython does (NCBI's release files have such a header).
A file with no readable record is a ReaderError naming the file and the first problem's line.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import polyseq
from polyseq import CUT_ERRORS, BadRecord, ConfigError, ReaderError, Record, bad_text_reason, cut_short
from polyseq import read_table as _read_table
from polyseq_dna.alphabet import count_letters, first_invalid

SEQIO_SUFFIXES = {
    "fasta": (".fa", ".fasta", ".fna", ".fas"),
    "fastq": (".fq", ".fastq"),
    "genbank": (".gb", ".gbk", ".genbank"),
}
_NAMES = {"fasta": "FASTA", "fastq": "FASTQ", "genbank": "GenBank"}
# Biopython's warnings for a GenBank record cut short or inconsistent: the record is bad
_TRUNCATED = ("Premature end of file", "Expected sequence length")
_PHRED = re.compile("[!-~]*")  # Phred+33 quality characters
SEQUENCE_COLUMNS = ("sequence", "seq")

Item = Record | BadRecord


# ------------------------------------------------------------------------------------------------
# Opening files and numbering lines
# ------------------------------------------------------------------------------------------------


def open_text(path: Path) -> io.TextIOBase:
    """The file as strict UTF-8 text, decompressed when it starts with the gzip magic bytes; for
    readers of a whole file (polyseq_dna.annotation). The record readers use `polyseq.open_text`."""
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", newline=None)  # type: ignore[return-value]
    return open(path, encoding="utf-8", newline=None)


class _Lines:
    """The lines of a file opened with `polyseq.open_text` (endings kept, a byte-order mark removed).

    `n` is the number of the last line given. A damaged or cut gzip stream ends the lines instead
    of raising, and `cut` then says so (a partial last line never comes out). With a `marker`, the
    numbers of the lines that start with it (record headers) queue in `headers`, and `preamble` is
    the first non-blank line before the first of them.
    """

    def __init__(self, handle: Any, marker: str | None = None):
        self.handle, self.marker = handle, marker  # marker: one character (">")
        self.n = 0
        self.cut: str | None = None
        self.headers: deque[int] = deque()
        self.preamble: int | None = None
        self.done = False  # the lines have all been given (or the stream was cut)
        self._lines = self._numbered()

    def __iter__(self) -> Iterator[str]:
        return self._lines  # one generator: Biopython's parsers iterate over the handle more than once

    def _numbered(self) -> Iterator[str]:
        marker, headers = self.marker, self.headers
        lines = enumerate(self.handle, 1)
        try:
            for self.n, line in lines:  # up to the first header (a FASTA's first line, mostly)
                if self.n == 1:
                    line = line.removeprefix("\ufeff")
                if marker is None or line.startswith(marker):
                    if marker is not None:
                        headers.append(self.n)
                    yield line
                    break
                if self.preamble is None and line.strip():
                    self.preamble = self.n
                yield line
            if marker is None:
                for self.n, line in lines:
                    yield line
            else:  # the loop every line of a large FASTA goes through: as little as can be
                for self.n, line in lines:
                    if line[0] == marker:
                        headers.append(self.n)
                    yield line
        except CUT_ERRORS as e:
            self.cut = cut_short(e, self.n)
        self.done = True


def _read_records(path: Path, fmt: str, window: int | None, stride: int | None,
                  entries: Callable[[str, Any], Iterator[tuple[bool, Any]]]) -> Iterator[Item]:
    """Open `path`, let `entries(source, handle)` find its records, and yield them as windows.

    `entries` yields (found, item): found is True for a record of the format (good or bad), False
    for a problem of structure (text that is no record, a cut stream). Until a record is found,
    problems are held back: a file without any is a ReaderError naming the first problem."""
    name, source = _NAMES[fmt], str(path)
    try:
        handle = polyseq.open_text(path)
    except OSError as e:
        raise ReaderError(f"{path}: cannot be opened: {e.strerror or e}") from e
    held: list[BadRecord] = []
    found = False
    with handle:
        for is_record, item in entries(source, handle):
            if found:
                yield from _windows(item, window, stride)
            elif is_record:
                found = True
                yield from held
                yield from _windows(item, window, stride)
            else:
                held.append(item)  # type: ignore[arg-type]
    if not found:
        if held:
            first = held[0]
            raise ReaderError(f"{path}:{first.meta['line']}: cannot be read as {name}: {first.reason}. Check the "
                              "file type and that the file is complete.")
        raise ReaderError(f"{path}: no {name} records found. Is it empty, or in another format? "
                          f"{name} files end in {', '.join(SEQIO_SUFFIXES[fmt])} (optionally .gz).")


def _windows(item: Any, window: int | None, stride: int | None) -> Iterator[Item]:
    """A BadRecord as it is; a parsed (sequence, meta) as its checked windows."""
    if isinstance(item, BadRecord):
        yield item
    else:
        seq, meta = item
        yield from records_of(seq, None, meta, window, stride)


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


# ------------------------------------------------------------------------------------------------
# FASTA, FASTQ, GenBank
# ------------------------------------------------------------------------------------------------


def _text_problem(text: str) -> str | None:
    """`bad_text_reason(text)`, at once for ASCII text without NUL bytes (a genome's sequence)."""
    return None if text.isascii() and "\x00" not in text else bad_text_reason(text)


def _meta(source: str, line: int, title: str) -> dict[str, Any]:
    words = title.split(None, 1)
    return {"source": source, "line": line, "id": words[0] if words else "", "description": title}


def _fasta_entries(source: str, handle: Any) -> Iterator[tuple[bool, Any]]:
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    lines = _Lines(handle, marker=">")
    n_read = 0
    for title, seq in SimpleFastaParser(lines):
        if n_read == 0 and lines.preamble is not None:
            yield False, _preamble(source, lines.preamble)
        n_read += 1
        meta = _meta(source, lines.headers.popleft(), title)
        if lines.cut is not None and lines.done:  # the last record, which the cut went through
            yield False, BadRecord(lines.cut, meta)
            return
        reason = bad_text_reason(title) or _text_problem(seq)
        yield True, BadRecord(reason, meta) if reason else (seq.replace("\t", "") if "\t" in seq else seq, meta)
    if n_read == 0 and lines.preamble is not None:
        yield False, _preamble(source, lines.preamble)
    if n_read == 0 and lines.cut is not None:
        yield False, BadRecord(lines.cut, {"source": source, "line": lines.n + 1})


def _preamble(source: str, line: int) -> BadRecord:
    return BadRecord("text before the first '>' header line", {"source": source, "line": line})


class _FastqFeed:
    """What `FastqGeneralIterator` reads: numbered lines, the ones it took since the record it is
    parsing began kept in `taken`, so that after a parse error they can be read again."""

    def __init__(self, lines: _Lines):
        self.stream = ((lines.n, line) for line in lines)
        self.back: deque[tuple[int, str]] = deque()  # lines to give again before the stream's
        self.taken: list[tuple[int, str]] = []
        self.ended = False

    def read(self, size: int = -1) -> str:
        return ""  # Biopython checks with read(0) that the handle is text

    def readline(self) -> str:
        return next(self, "")

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        item = self.back.popleft() if self.back else next(self.stream, None)
        if item is None:
            self.ended = True
            raise StopIteration
        self.taken.append(item)
        return item[1]

    def record_lines(self) -> list[tuple[int, str]]:
        """The lines of the record just parsed: Biopython read the next header before yielding it."""
        if self.ended:
            lines, self.taken = self.taken, []
        else:
            lines, self.taken = self.taken[:-1], self.taken[-1:]
        return lines

    def skip_to_next_record(self, first: int) -> int | None:
        """Drop `taken[first:]` and what follows up to the next line that starts a FASTQ record
        (`_starts_record`), which is given next; its number, or None at the end of the file."""
        self.back.extendleft(reversed(self.taken[first:]))
        self.taken, self.ended = [], False
        window: deque[tuple[int, str]] = deque(maxlen=4)
        while True:
            item = self.back.popleft() if self.back else next(self.stream, None)
            if item is None:
                return None
            window.append(item)
            if _starts_record(window):
                self.back.extendleft(reversed(window))
                return window[0][0]


def _starts_record(lines: Any) -> bool:
    """Whether four (number, line) pairs are a FASTQ record: '@' header, sequence, '+' line, quality as long."""
    return (len(lines) == 4 and lines[0][1][:1] == "@" and lines[2][1][:1] == "+"
            and len(lines[1][1].rstrip()) == len(lines[3][1].rstrip()))


def _fastq_record(source: str, line: int, title: str, seq: str, quality: str) -> tuple[bool, Any]:
    meta = _meta(source, line, title)
    reason = bad_text_reason(title) or _text_problem(seq) or _text_problem(quality)
    if reason is None and not _PHRED.fullmatch(quality):
        reason = "quality line holds characters outside '!'..'~' (Phred+33)"
    return True, BadRecord(reason, meta) if reason else (seq, meta)


def _fastq_entries(source: str, handle: Any) -> Iterator[tuple[bool, Any]]:
    from Bio.SeqIO.QualityIO import FastqGeneralIterator

    lines = _Lines(handle)
    feed = _FastqFeed(lines)
    n_read = 0
    while True:
        try:
            for title, seq, quality in FastqGeneralIterator(feed):
                n_read += 1
                yield _fastq_record(source, feed.record_lines()[0][0], title, seq, quality)
            break
        except ValueError as e:
            failed = feed.taken
            kept = None
            if len(failed) > 4 and _starts_record(failed[:4]):  # a whole record, then lines that are none
                try:
                    (kept,) = FastqGeneralIterator(io.StringIO("".join(line for _, line in failed[:4])))
                except ValueError:
                    pass
            if kept is not None:
                n_read += 1
                yield _fastq_record(source, failed[0][0], *kept)
                bad = failed[4]
                what = "not part of a FASTQ record (an '@' header, sequence, '+' and quality lines)"
                what += f" ({bad_text_reason(bad[1])})" if bad_text_reason(bad[1]) else ""
            else:
                bad = failed[0]
                what = f"FASTQ record cannot be parsed ({type(e).__name__}: {e})"
            if lines.cut is not None and feed.ended:
                what = lines.cut
            resumed = feed.skip_to_next_record(5 if kept is not None else 1)
            meta = {"source": source, "line": bad[0]}
            if resumed is None:
                yield False, BadRecord(f"{what}; reading stopped here, the {n_read} record(s) before it were kept",
                                       meta)
                return
            skipped = f"line {bad[0]}" if resumed == bad[0] + 1 else f"lines {bad[0]}-{resumed - 1}"
            yield False, BadRecord(f"{what}; {skipped} skipped, reading resumed at the next record (line {resumed})",
                                   meta)
    if lines.cut is not None:
        yield False, BadRecord(lines.cut, {"source": source, "line": lines.n + 1})


def _genbank_entries(source: str, handle: Any) -> Iterator[tuple[bool, Any]]:
    """Each LOCUS .. // record parsed on its own; non-blank text between records is a bad record."""
    lines = _Lines(handle)
    record: list[str] | None = None
    start = junk = 0
    junk_reason: str | None = None
    for line in lines:
        if line.startswith("LOCUS"):
            if junk:
                yield False, _between_records(source, junk, junk_reason)
                junk = 0
            if record is not None:  # no '//' before the next LOCUS: Biopython says what is missing
                yield _genbank_record(source, start, record)
            record, start = [line], lines.n
        elif record is not None:
            record.append(line)
            if line.startswith("//"):
                yield _genbank_record(source, start, record)
                record = None
        elif start and line.strip() and line.rstrip() != "//" and not junk:  # after a record, and not a blank line
            junk, junk_reason = lines.n, bad_text_reason(line)
    if junk:
        yield False, _between_records(source, junk, junk_reason)
    if record is not None:
        yield (False, BadRecord(lines.cut, {"source": source, "line": start})) if lines.cut else \
            _genbank_record(source, start, record)
    elif lines.cut is not None:
        yield False, BadRecord(lines.cut, {"source": source, "line": lines.n + 1})


def _between_records(source: str, line: int, reason: str | None) -> BadRecord:
    return BadRecord("text between GenBank records (after a '//' line, before the next LOCUS line)"
                     + (f": {reason}" if reason else ""), {"source": source, "line": line})


def _genbank_record(source: str, line: int, record: list[str]) -> tuple[bool, Any]:
    from Bio import BiopythonParserWarning, SeqIO
    from Bio.Seq import UndefinedSequenceError

    text = "".join(record)
    meta: dict[str, Any] = {"source": source, "line": line}
    reason = _text_problem(text)
    if reason:
        return True, BadRecord(reason, meta)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BiopythonParserWarning)
        try:
            rec = SeqIO.read(io.StringIO(text.replace("\r\n", "\n") if "\r" in text else text), "genbank")
        except Exception as e:  # Biopython's scanner raises ValueError, and others on some damage: the record's problem
            first = (str(e).strip().splitlines() or [""])[0]
            return False, BadRecord(f"GenBank record cannot be parsed ({type(e).__name__}: {first})", meta)
    meta.update(id=rec.id, description=rec.description)
    truncated = [str(w.message) for w in caught if str(w.message).startswith(_TRUNCATED)]
    for w in caught:  # other parser warnings (odd feature locations...) pass through
        if not str(w.message).startswith(_TRUNCATED):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if truncated:
        return True, BadRecord(f"truncated GenBank record: {'; '.join(truncated)}", meta)
    try:
        return True, (str(rec.seq), meta)
    except UndefinedSequenceError:
        return True, BadRecord("GenBank record has no sequence (only features or a CONTIG line)", meta)


def read_fasta(path: Path, window: int | None = None, stride: int | None = None) -> Iterator[Record | BadRecord]:
    """FASTA (.fa .fasta .fna .fas, plain or gzip): one record per `>` entry, or its windows."""
    return _read_records(Path(path), "fasta", *check_window(window, stride), _fasta_entries)


def read_fastq(path: Path, window: int | None = None, stride: int | None = None) -> Iterator[Record | BadRecord]:
    """FASTQ (.fq .fastq, plain or gzip); qualities are not kept."""
    return _read_records(Path(path), "fastq", *check_window(window, stride), _fastq_entries)


def read_genbank(path: Path, window: int | None = None, stride: int | None = None) -> Iterator[Record | BadRecord]:
    """GenBank flat files (.gb .gbk .genbank, plain or gzip); features are not kept."""
    return _read_records(Path(path), "genbank", *check_window(window, stride), _genbank_entries)


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


#: what a FASTA sequence line cannot hold: whitespace and line breaks, anything outside printable
#: ASCII, and the header and comment marks '>' and ';' (a wrapped line could start with them)
_NOT_FASTA = re.compile(r"[^!-~]|[>;]")


def write_fasta(samples: Iterable[Any], path: str | os.PathLike[str], prefix: str = "sample") -> list[Path]:
    """Write samples (strings, or Records) as FASTA through Biopython; gzip when `path` ends in .gz.

    Nothing is lost: a sample holding characters a sequence line cannot hold (a byte-level model may
    emit line breaks, spaces, '>' or non-ASCII) is written with 'N' (any base) in their place, and the exact
    samples go to `<path>.exact.jsonl` (index, id, sample), with a warning counting them."""
    from Bio import SeqIO
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    exact: list[dict[str, Any]] = []

    def seq_records() -> Iterator[SeqRecord]:
        for i, s in enumerate(samples, start=1):
            seq = s.sample if isinstance(s, Record) else s
            rid = str(s.meta.get("id", f"{prefix}_{i}")) if isinstance(s, Record) else f"{prefix}_{i}"
            if _NOT_FASTA.search(seq):
                exact.append({"index": i, "id": rid, "sample": seq})
                seq = _NOT_FASTA.sub("N", seq)
            yield SeqRecord(Seq(seq), id=rid, description="")

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "wt", encoding="ascii") as f:  # type: ignore[operator]
        SeqIO.write(seq_records(), f, "fasta")
    if not exact:
        return [path]
    import json

    side = path.with_name(path.name + ".exact.jsonl")
    side.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in exact), encoding="utf-8")
    warnings.warn(f"{path}: {len(exact)} sample(s) held characters a FASTA sequence cannot (line breaks, spaces, "
                  f"'>', ';' or non-ASCII), written as 'N'; the exact samples are in {side}", stacklevel=2)
    return [path, side]


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
