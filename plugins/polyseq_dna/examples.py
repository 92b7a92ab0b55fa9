"""Example DNA samples (Domain.examples) and small example files, one per reader suffix.

Written by hand for polyseq (motifs of the kinds genomicists meet: a promoter, a splice donor,
soft-masked repeat, assembly-gap Ns, IUPAC codes); no dataset is copied.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterable
from pathlib import Path

EXAMPLES = (
    "TTGACAATTAATCATCGGCTCGTATAATGTGTGGAATTGTGAGCGGATAACAATTTCACACAGGAAACAGCTATGACC",  # lac promoter region
    "CAGGTAAGTATCTGCT",  # an exon|intron donor site
    "ATGGCCCTGTGGATGCGCCTCCTGCCCCTGCTGGCGCTGCTGGCCCTCTGGGGACCTGACCCAGCCGCAGCCTTTGTG",
    "ggccgggcgcggtggctcacgcctgtaatcccagcaCTTTGGGAGGCCGAGG",  # soft-masked repeat, then unmasked
    "NNNNNNNNNNACGTTGCAAAGCTTNNNNN",  # assembly gap ends
    "TATAWAWRGCCACGTGRYKMSAT",  # IUPAC ambiguity codes in a motif
    "A",
)

_FILE_SEQUENCES = (
    "TTGACAATTAATCATCGGCTCGTATAATGTGTGGAATTGTGAGCGGATAACAATTTCACACAGGAAACAGCT",
    "ATGGCCCTGTGGATGCGCCTCCTGCCCCTGCTGGCGCTGCTGGCCCTCTGGGGACCTGACCCAGCCGCAGCC",
    "ggtaagtatctgctnnnnACGTRYCAGG",
)


def example_files(folder: str | os.PathLike[str]) -> list[Path]:
    """One small valid file per reader suffix (and a gzip FASTA), for the conformance kit."""
    from polyseq_dna.io import SEQIO_SUFFIXES

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fasta = "".join(f">seq{i} example {i}\n{s[:40]}\n{s[40:]}\n" for i, s in enumerate(_FILE_SEQUENCES, 1))
    fastq = "".join(f"@read{i}\n{s}\n+\n{'I' * len(s)}\n" for i, s in enumerate(_FILE_SEQUENCES, 1))
    paths = []
    for suffix in SEQIO_SUFFIXES["fasta"]:
        paths.append(folder / f"example{suffix}")
        paths[-1].write_text(fasta)
    for suffix in SEQIO_SUFFIXES["fastq"]:
        paths.append(folder / f"example{suffix}")
        paths[-1].write_text(fastq)
    for suffix in SEQIO_SUFFIXES["genbank"]:
        paths.append(folder / f"example{suffix}")
        paths[-1].write_text(_genbank(_FILE_SEQUENCES))
    for suffix, sep in ((".csv", ","), (".tsv", "\t")):
        paths.append(folder / f"example{suffix}")
        rows = [sep.join(("name", "Sequence", "label"))]
        rows += [sep.join((f"seq{i}", s, "promoter" if i == 1 else "other")) for i, s in enumerate(_FILE_SEQUENCES, 1)]
        paths[-1].write_text("\n".join(rows) + "\n")
    paths.append(folder / "example.fa.gz")
    with gzip.open(paths[-1], "wt") as f:
        f.write(fasta)
    return paths


def _genbank(seqs: Iterable[str]) -> str:
    """Minimal GenBank records written through Biopython (so the example is what SeqIO writes)."""
    from Bio import SeqIO
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    out = io.StringIO()
    recs = [SeqRecord(Seq(s), id=f"EX{i:06d}.1", name=f"EX{i:06d}", description=f"example sequence {i}",
                      annotations={"molecule_type": "DNA"}) for i, s in enumerate(seqs, 1)]
    SeqIO.write(recs, out, "genbank")
    return out.getvalue()
