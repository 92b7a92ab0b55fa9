"""`classify`: one class label per record, from the pooled sequence (<cls>, mean or last token)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from polyseq.errors import ConfigError
from polyseq.tasks.base import Task, label_index, records_with_targets

if TYPE_CHECKING:
    import torch


class Classify(Task):
    name = "classify"
    description = "one class per record (pooled encoder + MLP); accuracy, macro F1, AUROC"
    needs_target = True
    record_target = "a class label"
    primary_metric = ("acc",)
    higher_is_better = True
    report_metrics = ("f1", "auroc")
    result_plot = "classes"

    def prepare_targets(self, records: Any, tokenizer: Any, data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        records_with_targets(records, data.target)
        names = label_index(records, lambda r: [r.target], "label")
        if len(names) < 2:
            raise ConfigError(f"--data.target={data.target!r}: the train split has a single class {names}; "
                              "classification needs at least two")
        import numpy as np

        index = {n: i for i, n in enumerate(names)}
        targets = {s: np.array([index[str(r.target)] for r in recs], dtype=np.int64) for s, recs in records.items()}
        return targets, {"labels": names}

    def dataset(self, arrays: Any, info: Any, encode: Any = None) -> Any:
        from polyseq.data.datasets import RecordDataset

        return RecordDataset(arrays, info.max_length, add_cls=True, encode=encode)

    def build(self, model: Any) -> None:
        from polyseq.training.heads import build_pooled

        build_pooled(model, len(model.info.labels))

    def metrics(self, info: Any) -> Any:
        import torchmetrics

        k = len(info.labels)
        return torchmetrics.MetricCollection({
            "acc": torchmetrics.Accuracy(task="multiclass", num_classes=k),
            "f1": torchmetrics.F1Score(task="multiclass", num_classes=k, average="macro"),
            "auroc": present_class_auroc(k),
        })

    def step(self, model: Any, batch: dict[str, Any], stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        import torch.nn.functional as F

        from polyseq.training.heads import pooled_outputs

        logits = pooled_outputs(model, batch)
        model.stage_metrics(stage).update(logits.detach().softmax(-1), batch["target"])
        return F.cross_entropy(logits, batch["target"]), {}

    def inference_item(self, sample: Any, tokenizer: Any, info: Any) -> dict[str, Any]:
        from polyseq.data.datasets import cls_item

        return cls_item(tokenizer.encode(sample), info.max_length)

    def predict(self, model: Any, batch: dict[str, Any], options: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self.output_rows(model, self.record_outputs(model, batch))

    def record_outputs(self, model: Any, batch: dict[str, Any]) -> torch.Tensor:
        from polyseq.training.heads import pooled_outputs

        return pooled_outputs(model, batch).float().softmax(-1)

    def output_rows(self, model: Any, outputs: torch.Tensor) -> list[dict[str, Any]]:
        labels = model.info.labels
        rows = []
        for probs in outputs.tolist():
            best = max(range(len(probs)), key=probs.__getitem__)
            rows.append({"prediction": labels[best], **{f"prob_{lab}": round(p, 6) for lab, p in zip(labels, probs, strict=True)}})
        return rows


def present_class_auroc(num_classes: int) -> Any:
    """Macro one-vs-rest AUROC over the classes that have both positives and negatives among the targets.

    torchmetrics' multiclass AUROC scores a class absent from the targets as 0 and averages it in (a
    validation split without class 3 of 4 loses a quarter of its AUROC); here such classes are left
    out, and a split whose targets hold a single class gets NaN (undefined) rather than 0 or 0.5.
    With two classes this is the binary AUROC of either class.
    """
    import warnings

    import torch
    from torchmetrics.classification import MulticlassAUROC
    from torchmetrics.utilities import dim_zero_cat

    class PresentClassAUROC(MulticlassAUROC):
        def compute(self) -> torch.Tensor:
            target = dim_zero_cat(self.target)
            with warnings.catch_warnings():  # the absent classes it warns about are left out below
                warnings.filterwarnings("ignore", message="No (positive|negative) samples in targets")
                per_class = super().compute()
            counts = torch.bincount(target.long(), minlength=self.num_classes)
            defined = (counts > 0) & (counts < target.numel())
            return per_class[defined].mean() if defined.any() else torch.tensor(float("nan"))

    return PresentClassAUROC(num_classes=num_classes, average=None)

