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


# ------------------------------------------------------------------------------------------------
# Throughput and model-FLOPs utilisation
# ------------------------------------------------------------------------------------------------

#: dense bf16 tensor-core peak FLOP/s per device, by a substring of torch.cuda.get_device_name()
#: (vendor data sheets; first match wins, so the more specific names come first)
PEAK_FLOPS = (
    ("H100 PCIe", 756e12),
    ("H100", 989e12),  # SXM
    ("H200", 989e12),
    ("A100", 312e12),
)
PEAK_ENV = "POLYSEQ_PEAK_FLOPS"


def device_peak_flops(device: Any) -> float | None:
    """The peak FLOP/s of one `device`: $POLYSEQ_PEAK_FLOPS when set, else the PEAK_FLOPS entry for a
    known CUDA device; None for anything else (a CPU, an unlisted GPU): MFU is then not logged."""
    import os

    import torch

    if os.environ.get(PEAK_ENV):
        try:
            value = float(os.environ[PEAK_ENV])
        except ValueError:
            value = -1.0
        if not value > 0:
            from polyseq.errors import ConfigError

            raise ConfigError(f"{PEAK_ENV}={os.environ[PEAK_ENV]!r} must be a positive number of FLOP/s (e.g. 312e12)")
        return value
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name(device)
    return next((peak for key, peak in PEAK_FLOPS if key in name), None)


def _is_backbone(module: Any) -> bool:
    return hasattr(module, "token_embedding") and hasattr(module, "d_model")


def flops_per_token(model: Any, seq_len: int) -> float:
    """Training FLOPs per token of `model` at sequence length `seq_len`: 6 * parameters (forward 2,
    backward 4 per weight and token; tied weights once), where a backbone with `flops_per_token`
    (the Transformer: its attention term, no position table) gives its own share."""
    own = [m for m in model.children() if _is_backbone(m) and hasattr(m, "flops_per_token")]
    counted = {id(p) for m in own for p in m.parameters()}
    rest = sum(p.numel() for p in model.parameters() if id(p) not in counted)
    return 6.0 * rest + sum(m.flops_per_token(seq_len) for m in own)


class ValidateAtLastStep(pl.Callback):
    """Validate (and so checkpoint) at the step where `--trainer.max_steps` stops a run mid-epoch.

    Lightning validates at epoch ends or every `val_check_interval` batches; a run that reaches
    max_steps in the middle of an epoch stopped without validating its last steps, and its
    `last.ckpt` (written at validation ends) held the weights of the last validation, not of the
    end of training. Asking the Trainer to stop at that batch makes it validate there, as it does for
    early stopping; a run whose last step is validated anyway is unchanged.
    """

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if trainer.max_steps is not None and 0 < trainer.max_steps <= trainer.global_step:
            trainer.should_stop = True


class LearningRate(pl.Callback):
    """Log `train/lr` (the learning rate the step about to run uses; `train/lr_group<i>` for each
    parameter group after the first whose rate differs) every `every` training batches (default: the
    Trainer's log_every_n_steps), through the Trainer's loggers.

    Lightning's LearningRateMonitor does the same but refuses to run without a logger
    (`--trainer.logger false`); this one does nothing then.
    """

    def __init__(self, every: int | None = None):
        self.every = every

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        every = self.every or trainer.log_every_n_steps
        if not trainer.loggers or not trainer.is_global_zero or not trainer.optimizers or trainer.global_step % every:
            return
        groups = trainer.optimizers[0].param_groups
        metrics = {"train/lr": float(groups[0]["lr"])}
        metrics.update({f"train/lr_group{i}": float(g["lr"]) for i, g in enumerate(groups[1:], 1)
                        if g["lr"] != groups[0]["lr"]})
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=trainer.global_step)


class Throughput(pl.Callback):
    """Log `train/tokens_per_s` (all processes together) and `train/mfu` (per device: achieved FLOP/s
    over the device's peak, when known) every `every` training batches (default: the Trainer's
    log_every_n_steps).

    Tokens are the positions of `input_ids` (padding included: it is computed on). The clock starts
    after the first batch of each epoch and after each validation, so compilation, warm-up and
    validation are not timed; CUDA is synchronised only when a window closes.
    """

    def __init__(self, every: int | None = None, peak_flops: float | None = None):
        self.every, self.peak_flops = every, peak_flops
        self._peak: float | None = None
        self._start: float | None = None
        self._tokens = self._positions = self._batches = 0

    def setup(self, trainer: pl.Trainer, pl_module: Any, stage: str) -> None:
        self._peak = self.peak_flops or device_peak_flops(pl_module.device)

    def _sync(self, pl_module: Any) -> None:
        import torch

        if pl_module.device.type == "cuda":
            torch.cuda.synchronize(pl_module.device)

    def _restart(self, pl_module: Any) -> None:
        import time

        self._sync(pl_module)
        self._start, self._tokens, self._positions, self._batches = time.perf_counter(), 0, 0, 0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self._start = None  # the first batch (compilation, data-loader start) is not timed

    def on_validation_start(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self._log_window(trainer, pl_module)  # a window cut short by validation is still logged

    def on_validation_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self._start = None

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self._log_window(trainer, pl_module)  # epochs shorter than a window log once each

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self._start is None:
            self._restart(pl_module)
            return
        ids = batch["input_ids"]
        self._tokens += ids.numel()
        self._positions += ids.numel() * ids.shape[-1]  # sum of T over tokens: the attention term's mean T
        self._batches += 1
        if self._batches >= (self.every or trainer.log_every_n_steps):
            self._log_window(trainer, pl_module)
            self._restart(pl_module)

    def _log_window(self, trainer: pl.Trainer, pl_module: Any) -> None:
        import time

        if self._start is None or not self._batches:
            return
        self._sync(pl_module)
        seconds = time.perf_counter() - self._start
        tokens_per_s = self._tokens / seconds
        metrics = {"train/tokens_per_s": tokens_per_s * trainer.world_size}
        if self._peak:
            mean_len = self._positions / self._tokens
            metrics["train/mfu"] = flops_per_token(pl_module, mean_len) * tokens_per_s / self._peak
        if trainer.is_global_zero:
            for logger in trainer.loggers:
                logger.log_metrics(metrics, step=trainer.global_step)
        self._start = None
