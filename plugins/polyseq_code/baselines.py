"""Source code's first reference: TF-IDF of code-token n-grams (identifiers, numbers and each
punctuation character, so `::`, `=>`, `#include` and `def` all count) + logistic regression (ridge
for values) - the usual baseline for language identification and code classification."""

from __future__ import annotations

from polyseq import NgramLinear, hookimpl

CODE_TOKENS = r"[A-Za-z_]\w*|\d+|[^\w\s]"


class CodeTfidf(NgramLinear):
    name = "code_tfidf"
    description = "TF-IDF of code-token 1-2-grams (identifiers, numbers, punctuation) + logistic regression / ridge"
    domains = ("code",)
    features = "code tokens 1-2"
    defaults = {**NgramLinear.defaults, "analyzer": "word", "ngram_range": [1, 2], "token_pattern": CODE_TOKENS}


@hookimpl
def register_baselines(register):
    register("code_tfidf", CodeTfidf, description=CodeTfidf.description)
