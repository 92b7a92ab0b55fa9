"""Catalog entries of the DNA domain: UCI splice junctions, phage lambda, E. coli K-12 (genome, per-base
coding labels, CDS -> protein pairs), planted motifs.

`DATASETS` is what `register_datasets` registers. Importing this module imports nothing heavy.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

from polyseq import DatasetEntry, RemoteFile, TaskSpec, hookimpl

_RAW = "https://raw.githubusercontent.com"

#: the planted class-1 motif: a TATA box consensus, TATA(A/T)A(A/T)(A/G)
TATA = re.compile("TATA[AT]A[AT][AG]")
EBOX = "CACGTG"


def clean_splice_csv(downloaded: Path, out: Path) -> None:
    """The upstream `splice.csv` is fixed-width, comma-and-space separated with header `Class, Donor, Sequence`;
    the stored copy strips the whitespace of every field and names the columns `label,name,sequence`."""
    with open(downloaded, newline="", encoding="utf-8") as f:
        rows = [[field.strip() for field in row] for row in csv.reader(f) if row]
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("label,name,sequence\n")
        for row in rows[1:]:
            f.write(",".join(row) + "\n")


def derive_cds_tags(files: Path, out: Path) -> None:
    """ecoli_cds_tags: per-base coding labels in 1,000-bp windows (polyseq_dna.annotation)."""
    from polyseq_dna.annotation import write_tag_windows

    write_tag_windows(Path(files) / ECOLI_GBFF, Path(out), window=1000)


def derive_cds_protein(files: Path, out: Path) -> None:
    """ecoli_cds_protein: 30-codon DNA -> protein fragments of every translated CDS (polyseq_dna.annotation)."""
    from polyseq_dna.annotation import write_protein_pairs

    write_protein_pairs(Path(files) / ECOLI_GBFF, Path(out), codons=30)


def _background(rng: random.Random, n: int) -> str:
    while True:
        seq = "".join(rng.choice("ACGT") for _ in range(n))
        if not TATA.search(seq):
            return seq


def _motif(rng: random.Random) -> str:
    return "TATA" + rng.choice("AT") + "A" + rng.choice("AT") + rng.choice("AG")


def generate_planted_motifs(folder: Path, seed: int, n: int = 1000, length: int = 100) -> None:
    """Random DNA with a planted TATA-box motif in class 1: the answer is known.

    `motifs.csv` (`sequence,label`): `n` sequences of `length` uniform random bases, half of
    them (label 1) with one TATA(A/T)A(A/T)(A/G) motif at a random position, the others (label 0)
    resampled until they hold none. A classifier can reach 100 % accuracy.
    `genome.fa`: 20 records of 2,000 bases with the TATA motif and an E-box (CACGTG) planted
    every ~100 bases, for a DNA language model that can learn the motifs.
    """
    rng = random.Random(seed)
    folder = Path(folder)
    with open(folder / "motifs.csv", "w", encoding="ascii", newline="\n") as f:
        f.write("sequence,label\n")
        for i in range(n):
            label = i % 2
            seq = _background(rng, length)
            if label:
                motif = _motif(rng)
                at = rng.randrange(length - len(motif) + 1)
                seq = seq[:at] + motif + seq[at + len(motif):]
            f.write(f"{seq},{label}\n")
    with open(folder / "genome.fa", "w", encoding="ascii", newline="\n") as f:
        for r in range(20):
            parts = []
            while sum(map(len, parts)) < 2000:
                parts.append("".join(rng.choice("ACGT") for _ in range(rng.randrange(60, 120))))
                parts.append(_motif(rng) if rng.random() < 0.5 else EBOX)
            seq = "".join(parts)[:2000]
            f.write(f">planted_{r + 1} seed={seed}\n")
            f.writelines(seq[i:i + 80] + "\n" for i in range(0, len(seq), 80))


SPLICE = DatasetEntry(
    name="splice_junction",
    domain="dna",
    description="UCI splice-junction gene sequences: 3,190 primate 60-nt windows, EI / IE / N",
    licence="CC BY 4.0 (UCI Machine Learning Repository)",
    citation="G. Towell, M. Noordewier, J. Shavlik, Molecular Biology (Splice-junction Gene Sequences), "
             "UCI Machine Learning Repository dataset 69 (1991)",
    homepage="https://archive.ics.uci.edu/dataset/69",
    files=(RemoteFile(
        "splice.csv",
        url=f"{_RAW}/seacevedo/SpliceJunctionPrediction/99f4988f2c02ef83a3417215bcd634efe018d8f1/splice.csv",
        sha256=None,
        mirror_path="dna/splice_junction/splice.csv",
        mirror_sha256="c1f5b3c33a1c201bf55012bd602105d50d6de2dcb8324f565f7a84012d99e58e",
        process="polyseq_dna.datasets:clean_splice_csv",
        note="upstream checksum unknown (not recorded when the reference copy was made); the download is "
             "rewritten as a clean CSV (fields stripped, header label,name,sequence) and compared with the "
             "reference copy's checksum",
    ),),
    tasks=(
        TaskSpec("classify", target="label", reader_options={"target": "label"},
                 description="3 classes: EI (donor) 767, IE (acceptor) 768, N 1,655; 185 duplicate rows"),
        TaskSpec("lm"),
    ),
)

LAMBDA = DatasetEntry(
    name="lambda_phage",
    domain="dna",
    description="Phage lambda genome (NEB, 48,502 bp): a fast DNA LM, read in 1,000-bp windows",
    licence="public sequence (GenBank J02459); pbcore file under Pacific Biosciences' BSD-3-Clause-style licence",
    citation="Sanger et al., Nucleotide sequence of bacteriophage lambda DNA, J. Mol. Biol. 162 (1982); "
             "file from PacificBiosciences/pbcore",
    files=(RemoteFile(
        "lambdaNEB.fa",
        url=f"{_RAW}/PacificBiosciences/pbcore/58e6bcdbbb00b0d8b434fe0f8b85eb991eb3ab55/pbcore/data/lambdaNEB.fa",
        sha256="a32ef03db93f44b8fc32231aff90e506057e0140c65ef9108405b184071af239",
        size=49_125,
        mirror_path="dna/lambda_phage/lambdaNEB.fa",
    ),),
    tasks=(TaskSpec("lm", reader_options={"window": 1000, "stride": 1000}),),
)

ECOLI = DatasetEntry(
    name="ecoli_k12",
    domain="dna",
    description="E. coli K-12 MG1655 genome (RefSeq GCF_000005845.2, 4.6 Mbp, gzip FASTA), in 10-kbp windows",
    licence="NCBI sequence data (no use restrictions); MCB185 repository MIT",
    citation="Blattner et al., The complete genome sequence of Escherichia coli K-12, Science 277 (1997); "
             "NCBI RefSeq NC_000913.3",
    files=(RemoteFile(
        "GCF_000005845.2_ASM584v2_genomic.fna.gz",
        url=f"{_RAW}/iankorf/MCB185/fc3c33ed5dacad55e15ba971178b42b08bff2825/data/GCF_000005845.2_ASM584v2_genomic.fna.gz",
        sha256="254606e2722f64ca0906dfc1d41bceac41be72c335627c23f831b007939c8a48",
        size=1_424_935,
        mirror_path="dna/ecoli_k12_genome/GCF_000005845.2_ASM584v2_genomic.fna.gz",
    ),),
    tasks=(TaskSpec("lm", reader_options={"window": 10_000, "stride": 10_000}),
           TaskSpec("mlm", reader_options={"window": 60, "stride": 60},
                    description="77,361 adjacent 60-nt windows (the splice-junction length): masked-LM "
                                "pretraining of encoders (dna_pretrain_ecoli.yaml)")),
)

ECOLI_GBFF = "GCF_000005845.2_ASM584v2_genomic.gbff.gz"
ECOLI_ANNOTATION = RemoteFile(
    ECOLI_GBFF,
    url=f"{_RAW}/iankorf/MCB185/fc3c33ed5dacad55e15ba971178b42b08bff2825/data/{ECOLI_GBFF}",
    sha256="b5c36bf3315b3cbe0612def6317b6bb56575c8507d3a673f0cf64b870af70dd0",
    size=3_261_585,
    mirror_path=f"dna/ecoli_k12_annotation/{ECOLI_GBFF}",
    note="NCBI RefSeq GenBank flat file (1 record, NC_000913.3, 4,315 CDS); shared by ecoli_cds_tags and "
         "ecoli_cds_protein, which derive their CSV files from it",
)
_ECOLI_CITATION = ("Blattner et al., The complete genome sequence of Escherichia coli K-12, Science 277 (1997); "
                   "NCBI RefSeq NC_000913.3 annotation (GCF_000005845.2, downloaded 2022-12-19)")
_SPLITS = {"train": ["train.csv"], "val": ["val.csv"], "test": ["test.csv"]}

ECOLI_TAGS = DatasetEntry(
    name="ecoli_cds_tags",
    domain="dna",
    description="E. coli K-12 MG1655: one label per base (+ forward CDS, - reverse CDS, B both, . non-coding), "
                "1,000-bp windows",
    licence="NCBI sequence and annotation data (no use restrictions); MCB185 repository MIT",
    citation=_ECOLI_CITATION,
    files=(ECOLI_ANNOTATION,),
    derive="polyseq_dna.datasets:derive_cds_tags",
    splits=_SPLITS,
    tasks=(
        TaskSpec("tag", target="labels",
                 reader_options={"column": "sequence", "target": "labels", "per_base_label": True},
                 description="4,642 windows (3,714 / 464 / 464: contiguous 80/10/10 stretches of the genome, no "
                             "base in two splits); bases + 41.5 %, - 44.1 %, B 0.06 % (2,937 bases in CDS on both "
                             "strands), . 14.3 %; the 4,298 CDS with a /translation are labelled, the 17 /pseudo "
                             "CDS are not"),
        TaskSpec("lm", reader_options={"column": "sequence"}),
    ),
    notes="derived from the GenBank file by polyseq_dna.annotation (Biopython); summary.json beside the CSVs "
          "holds the counts",
)

ECOLI_PROTEIN = DatasetEntry(
    name="ecoli_cds_protein",
    domain="dna",
    description="E. coli K-12 MG1655 coding sequences -> protein: 30-codon DNA fragments and their translation "
                "(table 11), for seq2seq",
    licence="NCBI sequence and annotation data (no use restrictions); MCB185 repository MIT",
    citation=_ECOLI_CITATION,
    files=(ECOLI_ANNOTATION,),
    derive="polyseq_dna.datasets:derive_cds_protein",
    splits=_SPLITS,
    tasks=(
        TaskSpec("seq2seq", target="protein", reader_options={"column": "dna", "target": "protein"},
                 data_options={"target_domain": "text", "target_tokenizer": "char",
                               "target_tokenizer_options": {"fallback": "unk"}},  # residues: a closed set
                 description="46,462 pairs (37,022 / 4,759 / 4,681) from 4,295 CDS, split by gene (3,428 / 429 / "
                             "428; genes with an identical protein together); 90 nt -> 30 aa, a gene's last "
                             "fragment shorter, '*' for the stop codon; 17 /pseudo CDS and 3 selenoproteins "
                             "(TGA read as U) skipped"),
    ),
    notes="derived from the GenBank file by polyseq_dna.annotation (Biopython): each CDS's translation checked "
          "against /translation; an alternative start codon is translated by the table (GTG -> V), not as M",
)

PLANTED = DatasetEntry(
    name="dna_motifs",
    domain="dna",
    description="Offline: random DNA with a planted TATA-box motif (class 1) - a classification task with a known answer",
    licence="generated by polyseq (no restrictions)",
    citation="polyseq synthetic data (planted-motif benchmark)",
    generator="polyseq_dna.datasets:generate_planted_motifs",
    splits={"train": ["motifs.csv"]},
    tasks=(
        TaskSpec("classify", target="label", reader_options={"target": "label"},
                 description="1,000 x 100 nt, balanced; label 1 iff a TATA(A/T)A(A/T)(A/G) motif is present"),
        TaskSpec("lm", reader_options={"window": 200, "stride": 200}, splits={"train": ["genome.fa"]},
                 description="20 x 2,000 nt with TATA and E-box motifs planted every ~100 nt, 200-nt windows"),
    ),
)

DATASETS = (SPLICE, LAMBDA, ECOLI, ECOLI_TAGS, ECOLI_PROTEIN, PLANTED)


@hookimpl
def register_datasets(register):  # noqa: ANN001, ANN201 - the hook's register callback
    for entry in DATASETS:
        register(entry)
