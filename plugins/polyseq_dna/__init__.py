"""polyseq domain plugin: DNA (FASTA/FASTQ/GenBank through Biopython, CSV/TSV; nucleotide, k-mer, BPE).

Everything is named by "module:attr" strings, so importing this package imports neither
Biopython nor numpy.
"""

from polyseq import Domain, hookimpl
from polyseq_dna.examples import EXAMPLES

_P = "polyseq_dna"
_FASTA, _FASTQ, _GENBANK = (".fa", ".fasta", ".fna", ".fas"), (".fq", ".fastq"), (".gb", ".gbk", ".genbank")

@hookimpl
def register_domains(register):
    register(Domain(
        name="dna",
        description="DNA/RNA sequences: FASTA, FASTQ, GenBank (plain or gzip) and CSV/TSV; windows of genomes",
        tokenizers={
            "nucleotide": f"{_P}.tokenizers:NucleotideTokenizer",
            "kmer": f"{_P}.tokenizers:KmerTokenizer",
            "bpe": f"{_P}.tokenizers:BPETokenizer",
        },
        default_tokenizer="nucleotide",
        readers={
            **{s: f"{_P}.io:read_fasta" for s in _FASTA},
            **{s: f"{_P}.io:read_fastq" for s in _FASTQ},
            **{s: f"{_P}.io:read_genbank" for s in _GENBANK},
            ".csv": f"{_P}.io:read_table",
            ".tsv": f"{_P}.io:read_table",
        },
        examples=EXAMPLES,
        alphabet="ACGTNRYSWKMBDHV", case_sensitive=False,
        parse=f"{_P}.io:parse_text",
        validator=f"{_P}.alphabet:validate",
        augmentations={
            "reverse_complement": f"{_P}.augment:reverse_complement",
            "random_crop": f"{_P}.augment:random_crop",
            "random_shift": f"{_P}.augment:random_shift",
        },
        metrics=f"{_P}.metrics:metrics",
        writer=f"{_P}.io:write_fasta",
        splits={"by_record": f"{_P}.splits:by_record"},
        example_files=f"{_P}.examples:example_files",
    ))

from polyseq_dna.datasets import register_datasets  # noqa: E402,F401  (hookimpl: the catalog entries)
from polyseq_dna.baselines import register_baselines  # noqa: E402,F401  (hookimpl: the field's baselines)
