"""LaTeX's first reference: TF-IDF of LaTeX-token n-grams (control words such as `\frac`, letters
runs, numbers and single symbols) + logistic regression (ridge for values)."""

from __future__ import annotations

from polyseq import NgramLinear, hookimpl

LATEX_TOKENS = r"\\[A-Za-z]+|\\.|[A-Za-z]+|\d+|[^\w\s]"


class LatexTfidf(NgramLinear):
    name = "latex_tfidf"
    description = "TF-IDF of LaTeX-token 1-3-grams (control words, letters, numbers, symbols) + logistic regression / ridge"
    domains = ("latex",)
    features = "LaTeX tokens 1-3"
    defaults = {**NgramLinear.defaults, "analyzer": "word", "ngram_range": [1, 3], "token_pattern": LATEX_TOKENS}


@hookimpl
def register_baselines(register):
    register("latex_tfidf", LatexTfidf, description=LatexTfidf.description)
