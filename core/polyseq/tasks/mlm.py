"""`mlm`: masked-token prediction (BERT's objective) - pretraining for encoders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from polyseq.tasks.base import Task
from polyseq.tasks.lm import loss_scales, token_loss

if TYPE_CHECKING:
    import torch


class MaskingCollate:
    """Pads, then masks 15 % of the real tokens (80 % <mask>, 10 % random, 10 % kept) with its own generator."""

    def __init__(self, vocab_size: int, probability: float = 0.15, seed: int = 0):
        import torch

        self.vocab_size, self.probability = vocab_size, probability
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        from polyseq.data.datasets import mask_tokens, pad_collate

        batch = pad_collate(items)
        batch["input_ids"], batch["labels"] = mask_tokens(batch["input_ids"], self.vocab_size, self.probability, self.generator)
        return batch


class MaskedLanguageModel(Task):
    name = "mlm"
    description = "masked-token prediction per record (BERT); pretrains an encoder"
    record_target = "nothing (the sample itself)"
    backbone_mode = "bidirectional"
    primary_metric = ("loss",)
    report_metrics = ("acc", "ppl")

    def dataset(self, arrays: Any, info: Any, encode: Any = None) -> Any:
        from polyseq.data.datasets import RecordDataset

        return RecordDataset(arrays, info.max_length, add_cls=False, encode=encode)

    def collate(self, info: Any, options: Mapping[str, Any], seed: int = 0) -> MaskingCollate:
        return MaskingCollate(info.vocab_size, float(options.get("mlm_probability", 0.15)), seed)

    def build(self, model: Any) -> None:
        from polyseq.training.heads import LMHead

        model.backbone = model.make_backbone(self.backbone_mode, model.info.vocab_size)
        model.head = LMHead(model.backbone.token_embedding)

    def metrics(self, info: Any) -> Any:
        import torchmetrics

        from polyseq.data.datasets import IGNORE

        return torchmetrics.MetricCollection({"acc": torchmetrics.Accuracy(
            task="multiclass", num_classes=info.vocab_size, ignore_index=IGNORE, average="micro")})

    def step(self, model: Any, batch: dict[str, Any], stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        logits = model.head(model.backbone(batch["input_ids"], batch.get("attention_mask")))
        loss = token_loss(logits, batch["labels"])
        model.stage_metrics(stage).update(logits.detach().argmax(-1), batch["labels"])
        return loss, {} if stage == "train" else loss_scales(loss)
