"""Linear models on features of the samples (scikit-learn), the shared part of the domains' baselines.

`FeatureLinear` fits a logistic regression ("classes") or a ridge regression ("values") on whatever
`featurize(samples)` returns; `NgramLinear` makes the features character or word n-gram counts or
TF-IDF of string samples (scikit-learn's vectorisers), which is what text, code and LaTeX baselines
use, and k-mer counts for DNA. A domain plugin subclasses one of them and sets `defaults`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyseq.baselines.base import Baseline, sample_text
from polyseq.errors import ConfigError


class FeatureLinear(Baseline):
    """Logistic regression (classes) or ridge (values) on `featurize(samples)`, standardised by sklearn where dense."""

    outputs = ("classes", "values")
    defaults = {"C": 1.0, "alpha": 1.0, "max_iter": 1000}

    def featurize(self, samples: Sequence[Any], fit: bool) -> Any:
        """A (n, f) array or sparse matrix; `fit` is True on the train split (learn a vocabulary there)."""
        raise NotImplementedError

    def fit(self, samples: Sequence[Any], targets: Any, output: str) -> None:
        from sklearn.linear_model import LogisticRegression, Ridge

        self.output = output
        x = self.featurize(samples, fit=True)
        if output == "classes":
            self.model = LogisticRegression(C=self.options["C"], max_iter=self.options["max_iter"],
                                            random_state=self.seed)
        else:
            self.model = Ridge(alpha=self.options["alpha"], random_state=self.seed)
        self.model.fit(x, targets)

    def predict(self, samples: Sequence[Any]) -> Any:
        import numpy as np

        x = self.featurize(samples, fit=False)
        if self.output == "classes":
            return self.model.predict_proba(x)
        return np.asarray(self.model.predict(x), dtype=np.float64).reshape(len(samples), -1)


class NgramLinear(FeatureLinear):
    """N-gram counts or TF-IDF (scikit-learn's `TfidfVectorizer`) of string samples + a linear model.

    Options: analyzer "char" (n-grams of characters), "char_wb" (inside word boundaries) or "word"
    (with `token_pattern`); ngram_range [min, max]; tfidf (False: raw counts, e.g. k-mer counts);
    max_features (None: all); lowercase; C (logistic) / alpha (ridge).
    """

    defaults = {**FeatureLinear.defaults, "analyzer": "char", "ngram_range": [1, 4], "tfidf": True,
                "max_features": 100_000, "lowercase": False, "token_pattern": r"(?u)\b\w+\b", "sublinear_tf": True}

    def __init__(self, seed: int = 0, **options: Any) -> None:
        super().__init__(seed, **options)
        lo, hi = (list(self.options["ngram_range"]) + [None, None])[:2]
        if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi):
            raise ConfigError(f"baseline {self.name!r}: option ngram_range must be [min, max] with 1 <= min <= max, "
                              f"got {self.options['ngram_range']!r}")
        if self.options["analyzer"] not in ("char", "char_wb", "word"):
            raise ConfigError(f"baseline {self.name!r}: option analyzer must be char, char_wb or word, "
                              f"got {self.options['analyzer']!r}")

    def featurize(self, samples: Sequence[Any], fit: bool) -> Any:
        texts = [sample_text(s, self.name, f"record {i}") for i, s in enumerate(samples)]
        if fit:
            import numpy as np
            from sklearn.feature_extraction.text import TfidfVectorizer

            o = self.options
            self.vectorizer = TfidfVectorizer(
                analyzer=o["analyzer"], ngram_range=tuple(o["ngram_range"]), max_features=o["max_features"],
                lowercase=o["lowercase"], token_pattern=o["token_pattern"] if o["analyzer"] == "word" else None,
                use_idf=bool(o["tfidf"]), sublinear_tf=bool(o["tfidf"] and o["sublinear_tf"]),
                norm="l2" if o["tfidf"] else None, dtype=np.float64)
            x = self.vectorizer.fit_transform(texts)
            if not o["tfidf"]:  # raw counts: scale each feature to unit maximum so the solver converges

                peak = np.asarray(x.max(axis=0).todense()).ravel()
                self.scale = 1.0 / np.where(peak > 0, peak, 1.0)
                x = x.multiply(self.scale).tocsr()
            return x
        x = self.vectorizer.transform(texts)
        return x.multiply(self.scale).tocsr() if not self.options["tfidf"] else x
