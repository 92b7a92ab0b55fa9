"""A sliding-window classifier for per-position labels: the w elements around each position -> a linear model.

The classical first reference for labelling every position of a sequence (per-base annotation,
part-of-speech tagging before CRFs and neural taggers): each position is described by the elements
in a window centred on it - one-hot per window offset, plus the counts of the k-mers inside the
window (composition: codon usage for coding DNA), each column scaled to unit variance - and a
multinomial logistic regression (scikit-learn, lbfgs) maps the description to a label. Each
position is labelled on its own; no label sees its neighbours' labels (no CRF/HMM smoothing).

Generic over the domain: an element is a character of a string sample or an item of a list sample
(its `str`), never a token of a tokenizer, so the labels are those of the sample's positions. The
window stops at the record's edges (padded there), as a neural run sees only its record.

Options: window (odd, w), kmer (k of the in-window k-mer counts; 0: none), max_train_positions
(a random subset of the train split's positions, drawn with the seed, keeps the fit within a minute
or two on a genome), C and max_iter (the logistic regression's), uppercase (fold letters to upper
case first: soft-masked DNA). Elements unseen in training share one "unknown" code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyseq.baselines.base import Baseline
from polyseq.errors import ConfigError

PREDICT_BLOCK = 50_000  # positions featurised at a time when predicting (bounds the sparse matrix in memory)


class WindowLinear(Baseline):
    """One-hot window + in-window k-mer counts -> multinomial logistic regression, per position."""

    outputs = ("labels",)
    defaults = {"window": 61, "kmer": 3, "max_train_positions": 200_000, "C": 1.0, "max_iter": 300,
                "uppercase": False}

    def __init__(self, seed: int = 0, **options: Any) -> None:
        super().__init__(seed, **options)
        o = self.options
        w, k, n = o["window"], o["kmer"], o["max_train_positions"]
        if not (isinstance(w, int) and w >= 1 and w % 2 == 1):
            raise ConfigError(f"baseline {self.name!r}: option window must be an odd int >= 1 (centred on the "
                              f"position), got {w!r}")
        if not (isinstance(k, int) and 0 <= k <= w):
            raise ConfigError(f"baseline {self.name!r}: option kmer must be an int in 0..window ({w}); 0 turns the "
                              f"k-mer counts off; got {k!r}")
        if not (isinstance(n, int) and n >= 1):
            raise ConfigError(f"baseline {self.name!r}: option max_train_positions must be an int >= 1, got {n!r}")

    # ---- elements -> codes -------------------------------------------------------------------

    def _codes(self, samples: Sequence[Any], fit: bool) -> tuple[Any, Any]:
        """All samples' elements as one int64 array of codes (0: unknown, 1..V), and each sample's length."""
        import numpy as np

        chars, items = [], []
        for i, s in enumerate(samples):
            if isinstance(s, str):
                chars.append(i)
            elif isinstance(s, (list, tuple)):
                items.append(i)
            else:
                raise ConfigError(f"record {i}: baseline {self.name!r} reads string or list samples, got a "
                                  f"{type(s).__name__}")
        lengths = np.fromiter((len(s) for s in samples), dtype=np.int64, count=len(samples))
        points: list[Any] = [None] * len(samples)
        for i in chars:
            text = samples[i].upper() if self.options["uppercase"] else samples[i]
            points[i] = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        if fit:
            seen = np.unique(np.concatenate([points[i] for i in chars])) if chars else np.empty(0, np.int64)
            self._chars = seen  # sorted code points of the train split's characters: codes 1..len(seen)
            names = sorted({str(x) for i in items for x in samples[i]})
            self._items = {k: len(seen) + 1 + j for j, k in enumerate(names)}
            self.n_codes = len(seen) + len(self._items) + 1  # + unknown (0)
            if self.options["kmer"] and self.n_codes ** self.options["kmer"] > 2**24:
                raise ConfigError(f"baseline {self.name!r}: option kmer={self.options['kmer']} over {self.n_codes} "
                                  f"element codes makes {self.n_codes ** self.options['kmer']:,} k-mer columns; "
                                  "use a smaller kmer (or 0)")
        lookup = np.append(self._chars, -1)  # a sentinel, so an index past the end finds no match
        for i in chars:
            where = np.searchsorted(self._chars, points[i])
            points[i] = np.where(lookup[where] == points[i], where + 1, 0)
        for i in items:
            points[i] = np.fromiter((self._items.get(str(x), 0) for x in samples[i]), dtype=np.int64,
                                    count=len(samples[i]))
        codes = np.concatenate(points) if len(samples) else np.empty(0, dtype=np.int64)
        return codes, lengths

    # ---- positions -> features ---------------------------------------------------------------

    def _kmer_codes(self, codes: Any, ends: Any) -> Any:
        """The k-mer starting at each position as one code (-1 where it would cross its record's end)."""
        import numpy as np

        k, base = self.options["kmer"], self.n_codes
        n = len(codes)
        out = np.zeros(n, dtype=np.int64)
        for j in range(k):
            out = out * base + codes[np.minimum(np.arange(n) + j, n - 1)]
        return np.where(np.arange(n) + k <= ends, out, -1)

    def _features(self, pos: Any, starts: Any, ends: Any, codes: Any, kmers: Any) -> Any:
        """The sparse (len(pos), f) features of positions `pos` (indices into `codes`) in records [starts, ends)."""
        import numpy as np
        from scipy import sparse

        w, k = self.options["window"], self.options["kmer"]
        h, width, n = w // 2, self.n_codes + 1, len(pos)  # + the pad code (beyond the record's edges)
        at = pos[:, None] + np.arange(-h, h + 1)  # (n, w)
        inside = (at >= starts[:, None]) & (at < ends[:, None])
        values = np.where(inside, codes[np.clip(at, 0, len(codes) - 1)], self.n_codes)
        cols = (np.arange(w) * width + values).ravel()
        rows = np.repeat(np.arange(n), w)
        onehot = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(n, w * width))
        if k == 0:
            return onehot
        at = pos[:, None] + np.arange(-h, h - k + 2)  # (n, w - k + 1) k-mer starts in the window
        ok = (at >= starts[:, None]) & (at + k <= ends[:, None])
        km = kmers[np.clip(at, 0, len(kmers) - 1)]
        ok &= km >= 0
        r = np.broadcast_to(np.arange(n)[:, None], at.shape)[ok]
        counts = sparse.csr_matrix((np.full(len(r), 1.0 / (w - k + 1)), (r, km[ok])), shape=(n, self.n_codes ** k))
        return sparse.hstack([onehot, counts], format="csr")

    def _layout(self, samples: Sequence[Any], fit: bool) -> tuple[Any, ...]:
        import numpy as np

        codes, lengths = self._codes(samples, fit)
        ends_of = np.cumsum(lengths)
        record = np.repeat(np.arange(len(samples)), lengths)
        starts, ends = (ends_of - lengths)[record], ends_of[record]
        kmers = self._kmer_codes(codes, ends) if self.options["kmer"] else None
        return codes, lengths, starts, ends, kmers

    # ---- the contract ------------------------------------------------------------------------

    def fit(self, samples: Sequence[Any], targets: Any, output: str) -> None:
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        self.output = output
        codes, _, starts, ends, kmers = self._layout(samples, fit=True)
        labels = np.concatenate(targets) if len(targets) else np.empty(0, dtype=np.int64)
        if len(labels) == 0:
            raise ConfigError(f"baseline {self.name!r}: the train split has no positions to fit on")
        self.n_labels = int(labels.max()) + 1
        rng = np.random.default_rng(self.seed)
        take = self.options["max_train_positions"]
        pos = np.arange(len(labels))
        if len(labels) > take:
            pos = np.sort(rng.choice(len(labels), size=take, replace=False))
        self.n_train_positions = len(pos)
        x = self._features(pos, starts[pos], ends[pos], codes, kmers)
        self.scaler = StandardScaler(with_mean=False).fit(x)  # unit variance per column: lbfgs converges sooner
        x = self.scaler.transform(x)
        self.model = LogisticRegression(C=self.options["C"], max_iter=self.options["max_iter"], random_state=self.seed)
        self.model.fit(x, labels[pos])

    def predict(self, samples: Sequence[Any]) -> list[Any]:
        import numpy as np

        codes, lengths, starts, ends, kmers = self._layout(samples, fit=False)
        probs = np.zeros((len(codes), self.n_labels))
        for lo in range(0, len(codes), PREDICT_BLOCK):
            pos = np.arange(lo, min(lo + PREDICT_BLOCK, len(codes)))
            x = self.scaler.transform(self._features(pos, starts[pos], ends[pos], codes, kmers))
            probs[lo : lo + len(pos), self.model.classes_] = self.model.predict_proba(x)
        return np.split(probs, np.cumsum(lengths)[:-1]) if len(samples) else []
