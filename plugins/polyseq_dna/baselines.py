"""The genomicist's first references.

For a label per sequence: k-mer counts (the k-mer spectrum, k = 1..6) + logistic
regression (ridge for values), as in the k-mer classifiers that precede DNA language models
(e.g. Ghandi et al., "Enhanced regulatory sequence prediction using gapped k-mer features", 2014,
whose plain k-mer baseline this is). Counts are scaled per feature to unit maximum; position is lost.

For a label per base (tag): a sliding-window classifier, the one-hot bases of a 121-bp window centred
on each base plus the window's 3-mer counts (codon usage, as in the in-frame composition statistics
of Fickett's TESTCODE and GeneMark's coding potential) -> multinomial logistic regression, fitted on
200,000 bases drawn at random from the train split (`polyseq.WindowLinear`).
"""

from __future__ import annotations

from polyseq import NgramLinear, WindowLinear, hookimpl


class KmerLogistic(NgramLinear):
    name = "kmer_logreg"
    description = "k-mer counts (k = 1..6, overlapping) + logistic regression / ridge (scikit-learn)"
    domains = ("dna",)
    features = "k-mers 1-6"
    defaults = {**NgramLinear.defaults, "analyzer": "char", "ngram_range": [1, 6], "tfidf": False, "lowercase": True}


class WindowLogistic(WindowLinear):
    name = "window_logreg"
    description = ("per base: one-hot bases of the window around it + the window's 3-mer counts -> logistic "
                   "regression (scikit-learn), fitted on a random subset of train bases")
    domains = ("dna",)
    features = "window of bases"
    defaults = {**WindowLinear.defaults, "window": 121, "uppercase": True}


@hookimpl
def register_baselines(register):
    register("kmer_logreg", KmerLogistic, description=KmerLogistic.description)
    register("window_logreg", WindowLogistic, description=WindowLogistic.description)
