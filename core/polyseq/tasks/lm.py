"""`lm`: next-token prediction over packed blocks - the generative task of every domain."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from polyseq.tasks.base import Task

if TYPE_CHECKING:  # task modules import torch only when used: `polyseq plugins` lists tasks without it
    import torch


def token_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over (B, T, V) logits and (B, T) labels, IGNORE positions left out."""
    import torch.nn.functional as F

    from polyseq.data.datasets import IGNORE

    return F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE)


def loss_scales(loss: torch.Tensor, tokens_per_byte: float | None = None) -> dict[str, torch.Tensor]:
    """The loss in the units people compare: perplexity, bits per token and (when known) per byte."""
    import torch

    out = {"ppl": torch.exp(loss), "bits_per_token": loss / math.log(2)}
    if tokens_per_byte:
        out["bits_per_byte"] = loss / math.log(2) * tokens_per_byte
    return out


class LanguageModel(Task):
    name = "lm"
    description = "next-token prediction over records joined by <eos>; generates samples"
    record_target = "nothing (the sample itself)"
    backbone_mode = "causal"
    generates = "prompt"
    augmentable = False  # packed blocks are cut from the cached ids once; an augmented copy would need re-packing
    primary_metric = ("bits_per_byte", "bits_per_token")  # bits per byte compare across tokenizers
    report_metrics = ("bits_per_token", "ppl")

    def dataset(self, arrays: Any, info: Any, encode: Any = None) -> Any:
        from polyseq.data.datasets import LMBlocks

        return LMBlocks(arrays, info.max_length)

    def collate(self, info: Any, options: Mapping[str, Any], seed: int = 0) -> Any:
        from polyseq.data.datasets import pad_collate

        return functools.partial(pad_collate, masks=False)  # blocks are never padded

    def build(self, model: Any) -> None:
        from polyseq.training.heads import LMHead

        model.backbone = model.make_backbone(self.backbone_mode, model.info.vocab_size)
        model.head = LMHead(model.backbone.token_embedding)

    def step(self, model: Any, batch: dict[str, Any], stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        logits = model.head(model.backbone(batch["input_ids"], batch.get("attention_mask")))
        loss = token_loss(logits, batch["labels"])
        return loss, {} if stage == "train" else loss_scales(loss, model.info.tokens_per_byte)

    def generate(self, model: Any, inputs: list[Any], options: Mapping[str, Any]) -> list[Any]:
        """Continue each prompt sample (None: no prompt); `options["sampling"]` is a SamplingConfig."""
        from polyseq.generation import generate

        tokenizer = model.tokenizer()
        prompts = [[] if x is None else tokenizer.encode(x) for x in inputs]
        new = generate(model, prompts, options["sampling"])
        return [tokenizer.decode(p + n) for p, n in zip(prompts, new, strict=True)]

    def metric_samples(self, model: Any, datamodule: Any, n: int, seed: int) -> list[Any]:
        from polyseq.generation import SamplingConfig

        cfg = SamplingConfig(min(128, model.info.max_length), 1.0, seed=seed)
        return self.generate(model, [None] * n, {"sampling": cfg})
