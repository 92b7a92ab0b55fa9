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


def metric_names(target_names: list[str]) -> list[str]:
    """Target names as metric-key suffixes (`rmse_<name>`): word characters only."""
    import re

    return [re.sub(r"\W+", "_", str(n)).strip("_") or f"t{i}" for i, n in enumerate(target_names)]


def regression_metrics(target_names: list[str]) -> Any:
    """RMSE, MAE and R² of each target on its own scale, streamed over batches as sums (float64).

    One target: `rmse`, `mae`, `r2`. Several: the same three as the mean over targets of each
    target's own figure, plus `rmse_<name>`, `mae_<name>`, `r2_<name>` per target. Pooling the
    targets into one vector instead would let the gap between their scales count as explained
    variance: a model predicting each target's mean would get an R² well above 0.
    """
    import torch
    import torchmetrics

    names = metric_names(target_names)

    class RegressionMetrics(torchmetrics.Metric):
        full_state_update = False
        higher_is_better = None

        def __init__(self) -> None:
            super().__init__()
            for state in ("n", "sum_y", "sum_y2", "sse", "sae"):
                self.add_state(state, default=torch.zeros(len(names), dtype=torch.float64), dist_reduce_fx="sum")

        def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
            preds, target = preds.double().reshape(-1, len(names)), target.double().reshape(-1, len(names))
            err = preds - target
            self.n += target.shape[0]
            self.sum_y += target.sum(0)
            self.sum_y2 += (target * target).sum(0)
            self.sse += (err * err).sum(0)
            self.sae += err.abs().sum(0)

        def compute(self) -> dict[str, torch.Tensor]:
            sst = self.sum_y2 - self.sum_y * self.sum_y / self.n
            per = {"rmse": (self.sse / self.n).sqrt(), "mae": self.sae / self.n, "r2": 1 - self.sse / sst}
            out = {k: v.mean().float() for k, v in per.items()}
            if len(names) > 1:
                out.update({f"{k}_{name}": v[i].float() for k, v in per.items() for i, name in enumerate(names)})
            return out

    return RegressionMetrics()


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

        return torchmetrics.MetricCollection({"regression": regression_metrics(list(info.target_names))})

    def step(self, model: Any, batch: dict[str, Any], stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        import torch.nn.functional as F

        from polyseq.training.heads import pooled_outputs

        out = pooled_outputs(model, batch)
        target = batch["target"].float()
        loss = F.mse_loss(out, (target - model.target_mean) / model.target_std)
        model.stage_metrics(stage).update(out.detach() * model.target_std + model.target_mean, target)  # (B, targets)
        return loss, {}

    def inference_item(self, sample: Any, tokenizer: Any, info: Any) -> dict[str, Any]:
        from polyseq.data.datasets import cls_item

        return cls_item(tokenizer.encode(sample), info.max_length)

    def predict(self, model: Any, batch: dict[str, Any], options: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self.output_rows(model, self.record_outputs(model, batch))

    def record_outputs(self, model: Any, batch: dict[str, Any]) -> torch.Tensor:
        from polyseq.training.heads import pooled_outputs

        return pooled_outputs(model, batch) * model.target_std + model.target_mean

    def output_rows(self, model: Any, outputs: torch.Tensor) -> list[dict[str, Any]]:
        return [{f"pred_{name}": v for name, v in zip(model.info.target_names, row, strict=True)} for row in outputs.tolist()]
