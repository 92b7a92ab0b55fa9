"""FASTA in and out through Biopython; a validator for one-letter protein sequences."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from polyseq import BadRecord, ReaderError, Record

from polyseq_protein.tokenizers import EXTENDED, STANDARD

ALPHABET = frozenset(STANDARD + EXTENDED)


def validate(sample: str) -> str | None:
    if not sample:
        return "empty sequence"
    bad = sorted(set(sample.upper()) - ALPHABET)
    return f"letters outside the protein alphabet: {''.join(bad)}" if bad else None


def read_fasta(path: Path) -> Iterator[Record | BadRecord]:
    """One record per FASTA entry; `line` is the line of its `>` header."""
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    header_lines = _header_lines(path)
    with open(path, encoding="utf-8") as handle:
        try:
            for i, (title, seq) in enumerate(SimpleFastaParser(handle)):
                meta = {"source": str(path), "line": header_lines[i] if i < len(header_lines) else None, "id": title.split()[0] if title else ""}
                reason = validate(seq)
                yield BadRecord(reason, meta) if reason else Record(seq, meta=meta)
        except ValueError as e:  # Biopython's message for text that is not FASTA
            raise ReaderError(f"{path}: not a FASTA file: {e}") from e


def _header_lines(path: Path) -> list[int]:
    with open(path, encoding="utf-8") as f:
        return [n for n, line in enumerate(f, 1) if line.startswith(">")]


def write_fasta(samples: Sequence[str], path: str | Path) -> list[Path]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i, seq in enumerate(samples):
            f.write(f">sample_{i}\n{seq}\n")
    return [path]


def example_files(folder: Path) -> list[Path]:
    from polyseq import get_domain

    examples = list(get_domain("protein").examples)
    return [write_fasta(examples, folder / f"examples{suffix}")[0] for suffix in (".fasta", ".fa", ".faa")]
