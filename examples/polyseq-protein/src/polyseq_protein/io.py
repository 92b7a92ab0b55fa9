"""FASTA in (polyseq's FASTA reader block) and out; a validator for one-letter protein sequences."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polyseq

from polyseq_protein.tokenizers import EXTENDED, STANDARD

ALPHABET = frozenset(STANDARD + EXTENDED)


def validate(sample: str) -> str | None:
    if not sample:
        return "empty sequence"
    bad = sorted(set(sample.upper()) - ALPHABET)
    return f"letters outside the protein alphabet: {''.join(bad)}" if bad else None


#: one record per FASTA entry (`line`: its `>` header's); a bad byte or letter is a bad record, not a
#: lost file; `--data.target label` reads `>id label=...` headers
read_fasta = polyseq.fasta_reader(check=validate)


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
