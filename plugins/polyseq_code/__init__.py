"""polyseq domain plugin: source code in any language Pygments knows."""

from polyseq import Domain, hookimpl
from polyseq_code.examples import EXAMPLES
from polyseq_code.lexers import SUFFIXES


@hookimpl
def register_domains(register):
    register(Domain(
        name="code",
        description="source code (Pygments lexer tokens + byte-level BPE; language labels from file suffixes)",
        tokenizers={"pygments": "polyseq_code.tokenizers:PygmentsBPETokenizer"},
        default_tokenizer="pygments",
        readers={
            **{suffix: "polyseq_code.io:read_source" for suffix in SUFFIXES},
            ".jsonl": "polyseq_code.io:read_jsonl",
            "/": "polyseq_code.io:read_tree",
        },
        examples=EXAMPLES,
        validator="polyseq_code.validate:validate",
        metrics="polyseq_code.validate:code_metrics",
        writer="polyseq_code.io:write_samples",
        example_files="polyseq_code.examples:write_example_files",
    ))

from polyseq_code.datasets import register_datasets  # noqa: E402,F401  (hookimpl: the catalog entries)
from polyseq_code.baselines import register_baselines  # noqa: E402,F401  (hookimpl: the field's baselines)
