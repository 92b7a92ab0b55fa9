"""polyseq domain plugin: LaTeX math formulas."""

from polyseq import Domain, hookimpl

from polyseq_latex.io import EXAMPLES


@hookimpl
def register_domains(register):
    register(Domain(
        name="latex",
        description="LaTeX math formulas: TeX tokens, .tex extraction, validity via structure and mathtext",
        tokenizers={"math": "polyseq_latex.tokenizers:LatexTokenizer"},
        default_tokenizer="math",
        readers={
            ".tex": "polyseq_latex.io:read_tex",
            ".txt": "polyseq_latex.io:read_formulas",
            ".lst": "polyseq_latex.io:read_formulas",
            ".jsonl": "polyseq_latex.io:read_jsonl",
        },
        examples=EXAMPLES,
        parse="polyseq_latex.io:parse",
        validator="polyseq_latex.validate:validate",
        metrics="polyseq_latex.validate:metrics",
        writer="polyseq_latex.io:write_formulas",
        example_files="polyseq_latex.io:example_files",
    ))

from polyseq_latex.datasets import register_datasets  # noqa: E402,F401  (hookimpl: the catalog entries)
from polyseq_latex.baselines import register_baselines  # noqa: E402,F401  (hookimpl: the field's baselines)
