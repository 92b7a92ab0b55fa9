"""The baseline contract: a classical model fitted on a domain's records, scored like a neural run.

A baseline sees records (samples and their targets), never token ids, and says what it predicts:

    "classes"  class probabilities per record   (tasks whose `result_plot` is "classes": classify)
    "values"   real value(s) per record         (tasks whose `result_plot` is "values": regress)
    "bits"     bits per record of a byte model  (generating tasks ranked by bits per byte: lm)
    "labels"   label probabilities per position (tasks whose target is a label per position: tag)

`polyseq.baselines.run` fits it on the train split the data module makes (the same split as the
neural runs, by the same code) and scores it with the task's own metrics, so its row in `polyseq
compare` reads like the others.

A baseline is a plain JSON-serialisable configuration (`options`); what it fits is not saved: a
baseline refits in seconds, so `polyseq baseline` refits on every call and writes its configuration,
metrics and predictions, never a pickled model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from polyseq.errors import ConfigError
from polyseq.records import sample_as_bytes

if TYPE_CHECKING:
    import numpy as np

OUTPUTS = ("classes", "values", "bits", "labels")


class Baseline:
    """Base of every baseline; a subclass sets the class attributes and writes `fit` and `predict` (or `bits`)."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    outputs: ClassVar[tuple[str, ...]] = ()  # a subset of OUTPUTS: what it can predict
    domains: ClassVar[tuple[str, ...] | None] = None  # the domains it reads; None: any domain
    features: ClassVar[str] = "-"  # what it sees, in a few words (the tokenizer column of `polyseq compare`)
    defaults: ClassVar[Mapping[str, Any]] = {}  # its options and their defaults (JSON values)

    def __init__(self, seed: int = 0, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            known = ", ".join(self.defaults) or "(none)"
            raise ConfigError(f"baseline {self.name!r} has no option(s) {', '.join(unknown)}. Options: {known}")
        self.seed = seed
        self.options: dict[str, Any] = {**self.defaults, **options}
        self.output: str | None = None

    # ---- what a subclass writes --------------------------------------------------------------

    def fit(self, samples: Sequence[Any], targets: np.ndarray | None, output: str) -> None:
        """Learn from the train split: `targets` are class ids 0..k-1 (int64, "classes"), an
        (n, d) float array ("values"), a list of one int64 array of label ids per record, as long as
        its sample ("labels"), or None ("bits"). Set `self.output = output`."""
        raise NotImplementedError

    def predict(self, samples: Sequence[Any]) -> np.ndarray:
        """(n, k) class probabilities in class-id order ("classes"), (n, d) values ("values"), or a
        list of one (len(sample), k) array of label probabilities per sample ("labels")."""
        raise NotImplementedError

    def bits(self, samples: Sequence[Any]) -> tuple[float, int]:
        """("bits") The total bits of `samples` under the model and their number of bytes."""
        raise NotImplementedError

    # ---- shared ------------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """What rebuilds this baseline: its name, seed and options (JSON values)."""
        return {"name": self.name, "seed": self.seed, "options": dict(self.options)}

    def __repr__(self) -> str:
        return f"<baseline {self.name}>"


def output_for(task: Any) -> str | None:
    """What a baseline must predict for `task`: "classes", "values", "bits", "labels", or None (no baseline fits it).

    Read from the task's own attributes (what `polyseq predict` writes for it, what it is ranked by),
    never from its name.
    """
    if getattr(task, "labels_per_position", False):
        return "labels"
    if getattr(task, "result_plot", None) in ("classes", "values"):
        return task.result_plot
    if getattr(task, "generates", None) == "prompt" and "bits_per_byte" in getattr(task, "primary_metric", ()):
        return "bits"
    return None


def applies(cls: type[Baseline], domain: str, task: Any) -> bool:
    """Whether the baseline class can be a row for (domain, task)."""
    return output_for(task) in cls.outputs and (cls.domains is None or domain in cls.domains)


def why_not(cls: type[Baseline], domain: str, task: Any) -> str:
    """Why `applies` is False, in one sentence for an error message."""
    out = output_for(task)
    if out is None:
        return (f"no baseline predicts for the {task.name!r} task (it writes neither classes, values, labels per "
                "position nor bits per byte)")
    if out not in cls.outputs:
        return f"baseline {cls.name!r} predicts {', '.join(cls.outputs)}; the {task.name!r} task needs {out}"
    return f"baseline {cls.name!r} reads domain(s) {', '.join(cls.domains or ())}, not {domain!r}"


def sample_bytes(sample: Any, where: str = "") -> bytes:
    """A sample as bytes (`polyseq.records.sample_as_bytes`), or an error naming the record."""
    stored = sample_as_bytes(sample)
    if stored is not None:
        return stored
    raise ConfigError(f"{where}: a {type(sample).__name__} sample has no byte form; a byte-level baseline cannot read it")


def sample_text(sample: Any, baseline: str, where: str = "") -> str:
    """A sample as a string, for the baselines that read text (n-grams, fingerprints)."""
    if isinstance(sample, str):
        return sample
    raise ConfigError(f"{where}: baseline {baseline!r} reads string samples, got a {type(sample).__name__}")
