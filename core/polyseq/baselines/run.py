"""Fit a baseline on a data module's train split and score it with the task's own metric code.

The records come from `SequenceDataModule.read_split_records`, the code that splits the records
of every neural run (random, scaffold, the files given), so a baseline sees exactly their train /
val / test records; targets come from the task's `prepare_targets` (labels sorted as the task sorts
them, the same scaler), and metrics from the task's `metrics` (torchmetrics: acc, f1, auroc; rmse,
mae, r2) - the names and values a neural run logs. Loss is the task's loss where a baseline has
probabilities or values (cross-entropy; mean squared error of standardised targets); byte models
report bits per byte. A per-position task (tag) is labelled by its own `prepare_targets` through
`PositionOffsets`, a tokenizer of one token per sample position, so a baseline's labels and metrics
are per position, as a neural run's are with a one-token-per-character tokenizer (nucleotide).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyseq.baselines.base import Baseline, applies, output_for, why_not
from polyseq.errors import ConfigError


def baseline_class(name: str, where: str = "") -> type[Baseline]:
    """The registered baseline class `name`; an unknown name lists the registered ones."""
    from polyseq.plugins import registry

    return registry().baseline_class(name, where)


def make_baseline(name: str, options: Mapping[str, Any] | None = None, seed: int = 0, where: str = "") -> Baseline:
    return baseline_class(name, where)(seed, **dict(options or {}))


def data_module(data: dict[str, Any]) -> Any:
    """`SequenceDataModule(**data)`; an unknown key is an error naming --data.KEY and the valid keys."""
    import inspect

    from polyseq.data.module import SequenceDataModule
    from polyseq.errors import unknown_name

    known = [k for k in inspect.signature(SequenceDataModule.__init__).parameters if k != "self"]
    bad = [str(unknown_name("option", f"--data.{k}", [f"--data.{n}" for n in known])) for k in data if k not in known]
    if bad:
        raise ConfigError(bad)
    return SequenceDataModule(**data)


class PositionOffsets:
    """The offsets of a tokenizer with one token per sample position (ids are the positions)."""

    type_name = "positions"

    def encode_with_offsets(self, sample: Any) -> tuple[list[int], list[tuple[int, int]]]:
        from polyseq.tokenizers.offsets import char_spans

        return list(range(len(sample))), char_spans(len(sample))


@dataclass
class Fitted:
    """A baseline fitted on the train split, with what scoring and predicting need."""

    baseline: Baseline
    task: Any
    output: str
    info: Any  # DataInfo: labels, target names and scaler as the task prepared them
    records: dict[str, list[Any]]
    targets: dict[str, Any]
    train_s: float
    split_sizes: dict[str, int] = field(default_factory=dict)


def fit_on(data: Any, baseline: Baseline) -> Fitted:
    """Read and split the records as `data` does for a neural run; fit `baseline` on the train split."""
    from polyseq.data.info import DataInfo

    task, domain = data.task, data.domain_name
    if not applies(type(baseline), domain, task):
        raise ConfigError(f"{why_not(type(baseline), domain, task)}; `polyseq plugins` lists the baselines")
    output = output_for(task)
    records = data.read_split_records()
    if "val" not in records:
        raise ConfigError("the validation split is empty: give --data.val or a larger train set / val fraction")
    if output == "bits":
        targets, target_info = {s: None for s in records}, {}
    elif output == "labels":
        targets, target_info = task.prepare_targets(records, PositionOffsets(), data)
    else:
        targets, target_info = task.prepare_targets(records, None, data)
    info = DataInfo(task=task.name, vocab_size=0, domain=domain, **target_info)
    start = time.perf_counter()
    baseline.fit([r.sample for r in records["train"]], targets["train"], output)
    train_s = time.perf_counter() - start
    return Fitted(baseline, task, output, info, records, targets, train_s, {s: len(r) for s, r in records.items()})


def score(fitted: Fitted, split: str) -> dict[str, float]:
    """The split's metrics under the task's names (`acc`, `rmse`, `bits_per_byte`...), without a stage prefix."""
    import numpy as np

    samples = [r.sample for r in fitted.records[split]]
    if fitted.output == "bits":
        bits, n_bytes = fitted.baseline.bits(samples)
        return {"bits_per_byte": bits / n_bytes} if n_bytes else {}
    import torch

    target = fitted.targets[split]
    metrics = fitted.task.metrics(fitted.info)
    if fitted.output == "values":
        out = np.asarray(fitted.baseline.predict(samples), dtype=np.float64)
        std = np.asarray(fitted.info.target_std)
        loss = float((((out - target) / std) ** 2).mean())
        metrics.update(torch.from_numpy(out).reshape(len(target), -1), torch.from_numpy(np.asarray(target)).reshape(len(target), -1))
    else:  # probabilities of each class per record ("classes") or of each label per position ("labels")
        if fitted.output == "labels":  # every position of every record, as the task's step counts real tokens
            target = np.concatenate(target) if len(target) else np.empty(0, dtype=np.int64)
            out = np.concatenate([np.asarray(p, dtype=np.float64) for p in fitted.baseline.predict(samples)])
            metrics.update(torch.from_numpy(out.argmax(1)), torch.from_numpy(target))  # the tag metrics take label ids
        else:
            out = np.asarray(fitted.baseline.predict(samples), dtype=np.float64)
            metrics.update(torch.from_numpy(out).float(), torch.from_numpy(target))
        probs = np.clip(out, 1e-12, 1.0)
        loss = float(-np.log(probs[np.arange(len(target)), target]).mean())
    values = {k: float(v) for k, v in metrics.compute().items()}
    return {"loss": loss, **{k: v for k, v in values.items() if not math.isnan(v)}}


def prediction_columns(fitted: Fitted, samples: Sequence[Any]) -> list[dict[str, Any]]:
    """The task's columns of `polyseq predict` for each sample: prediction and prob_<label>, or pred_<target>."""
    import numpy as np

    if fitted.output == "bits":
        raise ConfigError(f"a {fitted.task.name!r} baseline has nothing to predict per record (as `polyseq predict` "
                          "has not); its metrics are in baseline.json")
    if fitted.output == "labels":  # as the task's own predict writes them: one label per position
        return [{"prediction": fitted.task.label_string(fitted.info.labels, np.asarray(p).argmax(1))}
                for p in fitted.baseline.predict(list(samples))]
    out = np.asarray(fitted.baseline.predict(list(samples)), dtype=np.float64)
    if fitted.output == "classes":
        labels = fitted.info.labels
        return [{"prediction": labels[int(p.argmax())], **{f"prob_{lab}": round(float(x), 6) for lab, x in zip(labels, p, strict=True)}}
                for p in out]
    return [{f"pred_{name}": float(v) for name, v in zip(fitted.info.target_names, row, strict=True)} for row in out]


def read_records(data: Any, path: str | Path) -> list[Any]:
    """The records of a file to predict, read by the data module's domain reader with its options."""
    from polyseq.records import ReadReport

    report = ReadReport()
    records = list(data._read(Path(path), report))
    if not records:
        raise ConfigError(f"{path}: no records ({report.summary()})")
    return records
