"""The text classifier's first reference: TF-IDF of word or character n-grams + logistic regression
(ridge for values) - the linear baselines of Joachims (1998) and of Wang & Manning's "Baselines and
bigrams" (2012), with sublinear term frequency."""

from __future__ import annotations

from polyseq import NgramLinear, hookimpl


class WordTfidf(NgramLinear):
    name = "word_tfidf"
    description = "TF-IDF of word 1-2-grams + logistic regression / ridge (scikit-learn)"
    domains = ("text",)
    features = "words 1-2"
    defaults = {**NgramLinear.defaults, "analyzer": "word", "ngram_range": [1, 2], "lowercase": True}


class CharTfidf(NgramLinear):
    name = "char_tfidf"
    description = "TF-IDF of character 2-5-grams inside word boundaries + logistic regression / ridge"
    domains = ("text",)
    features = "chars 2-5"
    defaults = {**NgramLinear.defaults, "analyzer": "char_wb", "ngram_range": [2, 5], "lowercase": True}


@hookimpl
def register_baselines(register):
    register("word_tfidf", WordTfidf, description=WordTfidf.description)
    register("char_tfidf", CharTfidf, description=CharTfidf.description)
