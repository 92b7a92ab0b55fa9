"""`majority`: the answer that ignores the sample - the train split's class frequencies, or its mean.

For a per-position task (tag) it is the train split's label frequencies over all positions, the
same distribution at every position (so every position is labelled with the most frequent label).

Any model worth training beats it; a model that does not has learned nothing from the sequences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyseq.baselines.base import Baseline


class Majority(Baseline):
    name = "majority"
    description = ("the train split's class (or per-position label) frequencies, predicting the most frequent, "
                   "or its mean value")
    outputs = ("classes", "values", "labels")
    features = "none"

    def fit(self, samples: Sequence[Any], targets: Any, output: str) -> None:
        import numpy as np

        self.output = output
        if output == "labels":
            targets = np.concatenate(targets) if len(targets) else np.empty(0, dtype=np.int64)
        if output in ("classes", "labels"):
            counts = np.bincount(targets, minlength=int(targets.max()) + 1).astype(np.float64)
            self.answer = counts / counts.sum()  # ties in the majority go to the lower class id (argmax)
        else:
            self.answer = np.asarray(targets, dtype=np.float64).mean(0)

    def predict(self, samples: Sequence[Any]) -> Any:
        import numpy as np

        if self.output == "labels":
            return [np.tile(self.answer, (len(s), 1)) for s in samples]
        return np.tile(self.answer, (len(samples), 1))
