"""`regress`: one or more real values per record, standardised on the train split for training."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from polyseq.errors import ReaderError
from polyseq.tasks.base import Task, records_with_targets

if TYPE_CHECKING:
    import numpy as np
    import torch


def float_targets(recs: list[Any], target: Any) -> np.ndarray:
    """(records, values) float32; a value that is not a finite number is an error naming its record."""
    import numpy as np

    rows = []
    for r in recs:
        try:
            row = np.atleast_1d(np.asarray(r.target, dtype=np.float64))
        except (TypeError, ValueError):
            raise ReaderError(f"{r.where}: target {r.target!r} of --data.target={target!r} is not a number") from None
        if not np.isfinite(row).all() or np.abs(row).max(initial=0) > np.finfo(np.float32).max:
            raise ReaderError(f"{r.where}: target {r.target!r} of --data.target={target!r} is not a finite number")
        rows.append(row.astype(np.float32))
    return np.array(rows, dtype=np.float32)


class Regress(Task):
    name = "regress"
    description = "real value(s) per record (pooled encoder + MLP, standardised targets); RMSE, MAE, R²"
    needs_target = True
    record_target = "a number or a list of numbers"
    primary_metric = ("rmse",)
    report_metrics = ("mae", "r2")
    result_plot = "values"

    def prepare_targets(self, records: Any, tokenizer: Any, data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        import numpy as np

        records_with_targets(records, data.target)
        out = {s: float_targets(recs, data.target) for s, recs in records.items()}
        mean, std = out["train"].mean(0), out["train"].std(0)
        std = np.where(std > 0, std, 1.0)
        names = [data.target] if isinstance(data.target, str) else list(data.target or [])
        return out, {"target_names": names, "target_mean": mean.tolist(), "target_std": std.tolist()}

    def dataset(self, arrays: Any, info: Any, encode: Any = None) -> Any:
        from polyseq.data.datasets import RecordDataset

        return RecordDataset(arrays, info.max_length, add_cls=True, encode=encode)

    def build(self, model: Any) -> None:
        import torch

        from polyseq.training.heads import build_pooled

        build_pooled(model, len(model.info.target_names))
        # buffers on the model itself: checkpoints keep `target_mean` / `target_std` at the top level
        model.register_buffer("target_mean", torch.tensor(model.info.target_mean, dtype=torch.float32))
        model.register_buffer("target_std", torch.tensor(model.info.target_std, dtype=torch.float32))

    def metrics(self, info: Any) -> Any:
        import torchmetrics

        return torchmetrics.MetricCollection({
            "rmse": torchmetrics.MeanSquaredError(squared=False),
            "mae": torchmetrics.MeanAbsoluteError(),
            "r2": torchmetrics.R2Score(),
        })

    def step(self, model: Any, batch: dict[str, Any], stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        import torch.nn.functional as F

        from polyseq.training.heads import pooled_outputs

        out = pooled_outputs(model, batch)
        target = batch["target"].float()
        loss = F.mse_loss(out, (target - model.target_mean) / model.target_std)
        model.stage_metrics(stage).update((out.detach() * model.target_std + model.target_mean).flatten(), target.flatten())
        return loss, {}

    def inference_item(self, sample: Any, tokenizer: Any, info: Any) -> dict[str, Any]:
        from polyseq.data.datasets import cls_item

        return cls_item(tokenizer.encode(sample), info.max_length)

    def predict(self, model: Any, batch: dict[str, Any], options: Mapping[str, Any]) -> list[dict[str, Any]]:
        from polyseq.training.heads import pooled_outputs

        values = pooled_outputs(model, batch) * model.target_std + model.target_mean
        return [{f"pred_{name}": v for name, v in zip(model.info.target_names, row, strict=True)} for row in values.tolist()]
