"""The genomicist's first reference: k-mer counts (the k-mer spectrum, k = 1..6) + logistic
regression (ridge for values), as in the k-mer classifiers that precede DNA language models
(e.g. Ghandi et al., "Enhanced regulatory sequence prediction using gapped k-mer features", 2014,
whose plain k-mer baseline this is). Counts are scaled per feature to unit maximum; position is lost.
"""

from __future__ import annotations

from polyseq import hookimpl
from polyseq.baselines import NgramLinear


class KmerLogistic(NgramLinear):
    name = "kmer_logreg"
    description = "k-mer counts (k = 1..6, overlapping) + logistic regression / ridge (scikit-learn)"
    domains = ("dna",)
    features = "k-mers 1-6"
    defaults = {**NgramLinear.defaults, "analyzer": "char", "ngram_range": [1, 6], "tfidf": False, "lowercase": True}


@hookimpl
def register_baselines(register):
    register("kmer_logreg", KmerLogistic, description=KmerLogistic.description)
