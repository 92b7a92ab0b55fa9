"""`count`: how many times something occurs in a record - CpG sites in a DNA window, aromatic rings in
a molecule, notes in a bar - given as a whole number in the column that --data.target names.

The head is additive: each position gets a non-negative rate (softplus of a linear map of its hidden
state) and the record's predicted count is the sum of the rates over its real tokens. A count that
grows with the sequence is then easy to express, and a model trained on short records still counts
in longer ones, which a pooled regressor (`regress`) cannot promise. The loss is the Poisson negative
log-likelihood of the true count given that sum (the usual model of count data; the sum is the
Poisson mean). Metrics: MAE and RMSE of the mean, and `exact`, the fraction of records whose rounded
count is right.

A record longer than --data.max_length is cut, like every task's input: occurrences past the cut
cannot be counted, so set max_length above your longest record.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from polyseq import ReaderError
from polyseq.tasks import Task, records_with_targets

if TYPE_CHECKING:  # torch is imported when the task trains, not when `polyseq plugins` lists it
    import torch


def whole_number(record: Any, target: str) -> float:
    """The record's target as a count; anything else is an error naming the record."""
    try:
        value = float(record.target)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value >= 0 and value == int(value)):
        raise ReaderError(f"{record.where}: target {record.target!r} of --data.target={target!r} is not a count "
                          "(a whole number >= 0)")
    return value


class Count(Task):
    name = "count"
    description = "how many times something occurs in a record (a sum of per-position rates, Poisson loss); MAE, exact"
    needs_target = True
    record_target = "a count (a whole number >= 0)"
    primary_metric = ("mae",)
    report_metrics = ("exact", "rmse")

    def check_config(self, data: Any) -> list[str]:
        problems = super().check_config(data)
        if data.target is not None and not isinstance(data.target, str):
            problems.append(f"--data.task=count counts one column; got --data.target={data.target!r}")
        return problems

    def prepare_targets(self, records: Any, tokenizer: Any, data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        import numpy as np

        records_with_targets(records, data.target)
        counts = {s: np.array([whole_number(r, data.target) for r in recs], dtype=np.float32) for s, recs in records.items()}
        return counts, {"target_names": [data.target]}

    def dataset(self, arrays: Any, info: Any, encode: Any = None) -> Any:
        from polyseq.tasks import RecordDataset

        return RecordDataset(arrays, info.max_length, add_cls=False, encode=encode)  # every position is the record's

    def build(self, model: Any) -> None:
        from polyseq_count.modules import CountHead

        model.backbone = model.make_backbone(self.backbone_mode, model.info.vocab_size)
        model.head = CountHead(model.backbone.d_model)

    def metrics(self, info: Any) -> Any:
        import torchmetrics

        from polyseq_count.modules import ExactCount

        return torchmetrics.MetricCollection({
            "mae": torchmetrics.MeanAbsoluteError(),
            "rmse": torchmetrics.MeanSquaredError(squared=False),
            "exact": ExactCount(),
        })

    def step(self, model: Any, batch: dict[str, Any], stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        import torch.nn.functional as F

        counts = self._counts(model, batch)
        target = batch["target"].float()
        model.stage_metrics(stage).update(counts.detach(), target)
        return F.poisson_nll_loss(counts, target, log_input=False), {}

    def predict(self, model: Any, batch: dict[str, Any], options: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [{"prediction": round(c), "expected_count": round(c, 4)} for c in self._counts(model, batch).tolist()]

    @staticmethod
    def _counts(model: Any, batch: dict[str, Any]) -> torch.Tensor:
        mask = batch["attention_mask"]
        return model.head(model.backbone(batch["input_ids"], mask), mask)  # (B,)
