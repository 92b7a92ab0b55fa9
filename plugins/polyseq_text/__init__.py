"""polyseq domain plugin: natural-language text (characters, words, learned subwords)."""

from polyseq import Domain, hookimpl

from polyseq_text.io import EXAMPLES


@hookimpl
def register_domains(register):
    register(Domain(
        name="text",
        description="Natural-language text: characters, words, byte-level BPE, WordPiece, Unigram",
        tokenizers={
            "char": "polyseq.tokenizers.char:CharTokenizer",
            "word": "polyseq_text.tokenizers:WordTokenizer",
            "bpe": "polyseq_text.tokenizers:BPETokenizer",
            "wordpiece": "polyseq_text.tokenizers:WordPieceTokenizer",
            "unigram": "polyseq_text.tokenizers:UnigramTokenizer",
        },
        default_tokenizer="bpe",
        readers={
            ".txt": "polyseq_text.io:read_txt",
            ".csv": "polyseq_text.io:read_csv",
            ".tsv": "polyseq_text.io:read_tsv",
            ".jsonl": "polyseq_text.io:read_jsonl",
        },
        examples=EXAMPLES,
        sample_strategy="polyseq_text.strategies:any_text",
        writer="polyseq_text.io:write_jsonl",
        metrics="polyseq_text.metrics:metrics",
        example_files="polyseq_text.io:example_files",
    ))

from polyseq_text.datasets import register_datasets  # noqa: E402,F401  (hookimpl: the catalog entries)
from polyseq_text.baselines import register_baselines  # noqa: E402,F401  (hookimpl: the field's baselines)
