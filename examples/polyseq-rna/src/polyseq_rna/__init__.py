"""RNA for polyseq: sequences and dot-bracket structures, configured from the core building blocks."""

from pathlib import Path

import polyseq
from polyseq import Annotated, Domain, hookimpl

BASES, PAIRS = "ACGUN", ".()[]{}<>"  # IUPAC N for an unknown base; dot-bracket with pseudoknot brackets


class Nucleotide(polyseq.LookupTokenizer):
    type_name, alphabet, fold_case, replace = "rna.nucleotide", BASES, "upper", {"T": "U"}


class Kmer(polyseq.KmerTokenizer):
    type_name, alphabet, extra, k, fold_case, replace = "rna.kmer", "ACGU", "N", 3, "upper", {"T": "U"}


class Structure(polyseq.TrackTokenizer):  # one token per (base, pairing) position
    type_name, alphabet, track_alphabet, fold_case = "rna.structure", BASES, PAIRS, "upper"


def validate(sample):
    seq, track = sample if isinstance(sample, tuple) else (sample, None)
    bad = sorted(set(seq.upper()) - set(BASES + "T"))
    if bad or (track is not None and set(track) - set(PAIRS)):
        return f"not an RNA {'sequence' if bad else 'structure'}: {bad or sorted(set(track) - set(PAIRS))}"
    return None


def dbn_entry(header, lines):  # .dbn: >name, the sequence, its dot-bracket structure
    if len(lines) != 2 or len(lines[0]) != len(lines[1]):
        raise ValueError("a .dbn entry is a sequence line and a structure line of the same length")
    return {"sequence": lines[0], "structure": lines[1], "annotated": Annotated(lines[0], lines[1])}


def write_fasta(samples, path):
    Path(path).write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(samples)))
    return [Path(path)]


def example_files(folder):
    (folder / "a.dbn").write_text(">trna label=1\nGCGGAUUUAGCUC\n((((....)))).\n>hp label=0\nGGGAAACCC\n(((...)))\n")
    (folder / "a.csv").write_text("sequence,label\nGCGGAUUUAG,1\nACGUN,0\n")
    return [*write_fasta(EXAMPLES, folder / "a.fasta"), folder / "a.dbn", folder / "a.csv"]


EXAMPLES = ("GCGGAUUUAGCUCAGUUGGGAGAGCGCCAGACUGAAGAUCUGGAGGUCCUGUGUUCGAUCCACAGAAUUCGCACCA", "ACGUN", "gguacc")
FASTA = polyseq.fasta_reader(check=validate)  # --data.target reads `label=...` from the header

@hookimpl
def register_domains(register):
    register(Domain(
        name="rna", description="RNA sequences and dot-bracket secondary structures",
        tokenizers={"nucleotide": Nucleotide, "kmer": Kmer, "structure": Structure}, default_tokenizer="nucleotide",
        readers={".fasta": FASTA, ".fa": FASTA, ".csv": polyseq.table_reader(sample_names=("sequence",), check=validate),
                 ".dbn": polyseq.fasta_reader(parse_entry=dbn_entry, check=validate)},
        examples=EXAMPLES, validator=validate, writer=write_fasta, example_files=example_files,
        alphabet="ACGU", case_sensitive=False,
    ))
