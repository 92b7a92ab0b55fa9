"""A callback that samples during `fit` of a generating model, so learning curves show validity, not only loss."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl


class SampleMetrics(pl.Callback):
    """At each validation of a model whose task generates: decode `n` samples (the task's
    `metric_samples`), log the output domain's metrics as `val/gen_<name>`."""

    def __init__(self, n: int = 8, seed: int = 0):
        self.n, self.seed = n, seed

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        task = getattr(pl_module, "task", None)
        if trainer.sanity_checking or task is None or not task.generates or not trainer.is_global_zero:
            return
        from polyseq import get_domain

        domain = get_domain(pl_module.info.output_domain)
        if domain.metrics is None:
            return
        was_training = pl_module.training
        samples = task.metric_samples(pl_module, trainer.datamodule, self.n, self.seed)
        pl_module.train(was_training)
        if not samples:
            return
        values = domain.part("metrics")(samples, None)
        pl_module.log_dict({f"val/gen_{k}": float(v) for k, v in values.items()}, rank_zero_only=True)
