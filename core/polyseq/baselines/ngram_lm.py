"""`ngram_lm`: an interpolated Kneser-Ney n-gram language model over the UTF-8 bytes of the samples.

It reads bytes, not the domain's tokens, so its bits per byte need no conversion and compare with
every neural LM whatever its tokenizer (they report bits per byte of the same samples). Each record
is a byte sequence followed by an end symbol (257 symbols); the model predicts every byte and the end
symbol, as a neural LM predicts <eos>, and the bits are divided by the record bytes.

The estimator is Chen & Goodman's interpolated Kneser-Ney ("An empirical study of smoothing techniques
for language modeling", 1998) with one absolute discount per order, D = n1 / (n1 + 2 n2), continuation
counts below the highest order and a uniform distribution under the unigrams. `order: 1` is the
unigram model (add-nothing, interpolated with the uniform). Counting is vectorised with numpy: each
n-gram is one int64 key, so `order` is at most 7.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyseq.baselines.base import Baseline, sample_bytes
from polyseq.errors import ConfigError

V = 257  # 256 byte values + the end/start symbol
END = 256


def _symbols(samples: Sequence[Any], pad: int) -> tuple[Any, Any, int]:
    """(symbols, positions to predict, bytes): each record's bytes preceded by `pad` start symbols
    (context only) and followed by the end symbol (predicted)."""
    import numpy as np

    parts, targets, n_bytes, at = [], [], 0, 0
    for i, s in enumerate(samples):
        b = np.frombuffer(sample_bytes(s, f"record {i}"), dtype=np.uint8).astype(np.int64)
        n_bytes += len(b)
        parts += [np.full(pad, END, dtype=np.int64), b, np.array([END], dtype=np.int64)]
        targets.append(np.arange(at + pad, at + pad + len(b) + 1))
        at += pad + len(b) + 1
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0
    return np.concatenate(parts), np.concatenate(targets), n_bytes


def _keys(seq: Any, targets: Any, k: int) -> Any:
    """The k-gram ending at each target position, as one integer (base V)."""
    import numpy as np

    key = np.zeros(len(targets), dtype=np.int64)
    for j in range(k - 1, -1, -1):
        key = key * V + seq[targets - j]
    return key


class _Table:
    """Sorted unique keys with a value each; `get` looks keys up (0 where absent)."""

    def __init__(self, keys: Any, values: Any) -> None:
        self.keys, self.values = keys, values

    def get(self, keys: Any) -> Any:
        import numpy as np

        if len(self.keys) == 0:
            return np.zeros(len(keys), dtype=self.values.dtype)
        i = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[i] == keys, self.values[i], 0)


class NgramLM(Baseline):
    name = "ngram_lm"
    description = "interpolated Kneser-Ney n-gram LM over UTF-8 bytes; bits per byte"
    outputs = ("bits",)
    features = "bytes"
    defaults = {"order": 5}

    def __init__(self, seed: int = 0, **options: Any) -> None:
        super().__init__(seed, **options)
        order = self.options["order"]
        if not isinstance(order, int) or not 1 <= order <= 7:
            raise ConfigError(f"baseline 'ngram_lm': option order must be an integer from 1 to 7, got {order!r}")
        self.order = order

    def fit(self, samples: Sequence[Any], targets: Any, output: str) -> None:
        import numpy as np

        self.output = output
        n = self.order
        seq, positions, _ = _symbols(samples, n - 1)
        # per order k: counts of k-grams (real counts at the top order, continuation counts below)
        self.grams: dict[int, _Table] = {}
        self.contexts: dict[int, tuple[_Table, _Table]] = {}
        self.discount: dict[int, float] = {}
        top = np.unique(_keys(seq, positions, n), return_counts=True)
        counts = {n: top}
        for k in range(n - 1, 0, -1):
            # N1+(. w_2..w_k): the distinct one-symbol-longer keys ending in each k-gram
            longer = counts[k + 1][0]
            counts[k] = np.unique(longer % V ** k, return_counts=True)
        for k in range(1, n + 1):
            keys, c = counts[k]
            n1, n2 = int((c == 1).sum()), int((c == 2).sum())
            self.discount[k] = n1 / (n1 + 2 * n2) if n1 + 2 * n2 > 0 else 0.5
            self.grams[k] = _Table(keys, c)
            ctx, inverse = np.unique(keys // V, return_inverse=True)
            self.contexts[k] = (_Table(ctx, np.bincount(inverse, weights=c)),
                                _Table(ctx, np.bincount(inverse).astype(np.float64)))

    def _probabilities(self, seq: Any, positions: Any) -> Any:
        import numpy as np

        p = np.full(len(positions), 1.0 / V)
        for k in range(1, self.order + 1):
            c = self.grams[k].get(_keys(seq, positions, k)).astype(np.float64)
            ctx = _keys(seq, positions - 1, k - 1) if k > 1 else np.zeros(len(positions), dtype=np.int64)
            total, types = (t.get(ctx) for t in self.contexts[k])
            d = self.discount[k]
            seen = total > 0
            safe = np.where(seen, total, 1.0)
            p = np.where(seen, np.maximum(c - d, 0) / safe + d * types / safe * p, p)
        return p

    def bits(self, samples: Sequence[Any]) -> tuple[float, int]:
        import numpy as np

        seq, positions, n_bytes = _symbols(samples, self.order - 1)
        return float(-np.log2(self._probabilities(seq, positions)).sum()), n_bytes
