"""A callback that samples during `fit` of an LM, so learning curves show validity, not only loss."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl


class SampleMetrics(pl.Callback):
    """At each validation of an `lm` model: sample `n` sequences, log the domain's metrics as `val/gen_<name>`."""

    def __init__(self, n: int = 8, max_new_tokens: int = 128, temperature: float = 1.0, seed: int = 0):
        self.n, self.max_new_tokens, self.temperature, self.seed = n, max_new_tokens, temperature, seed

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        info = getattr(pl_module, "hparams", {}).get("data_info") or {}
        if trainer.sanity_checking or info.get("task") != "lm" or not trainer.is_global_zero:
            return
        from polyseq import get_domain
        from polyseq.generation import SamplingConfig, generate
        from polyseq.tokenizers.serialization import tokenizer_from_dict

        domain = get_domain(info["domain"])
        if domain.metrics is None:
            return
        tokenizer = tokenizer_from_dict(info["tokenizer"], source="checkpoint data_info")
        cfg = SamplingConfig(min(self.max_new_tokens, int(info.get("max_length", 128))), self.temperature, seed=self.seed)
        was_training = pl_module.training
        samples = [tokenizer.decode(ids) for ids in generate(pl_module, [[] for _ in range(self.n)], cfg)]
        pl_module.train(was_training)
        values = domain.part("metrics")(samples, None)
        pl_module.log_dict({f"val/gen_{k}": float(v) for k, v in values.items()}, rank_zero_only=True)
