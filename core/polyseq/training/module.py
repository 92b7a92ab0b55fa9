"""`SequenceModel`: one LightningModule for every domain and task - the task's modules, loss and metrics, the optimiser.

It stays thin: the task (`polyseq.tasks`) builds the backbone(s) and head and computes the loss;
the backbone comes from the registry by name. It never reads files, tokenises or parses configs,
and it never names a task or a backbone. Everything needed to use a checkpoint (tokenizer JSON,
labels, target scaler, domain) arrives as `data_info` from the data module (a `DataInfo` as plain
values) and is saved with the weights as hyper-parameters, loadable with `weights_only=True`.
"""

from __future__ import annotations

import math
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from polyseq.data.info import DataInfo
from polyseq.errors import ConfigError, PolyseqError
from polyseq.models import backbone as backbones
from polyseq.models.backbone import adapt_config, build_backbone, options_of
from polyseq.training.heads import POOLINGS
from polyseq.training.optim import build_adamw, warmup_cosine

STAGES = ("train", "val", "test")
#: the torch.compile arguments --model.compile_options accepts; dynamic=True by default (length-bucketed batches)
COMPILE_ARGS = ("backend", "mode", "dynamic", "fullgraph", "options")


class SequenceModel(pl.LightningModule):
    def __init__(
        self,
        backbone: str = "transformer",
        d_model: int = 256,
        n_layers: int = 4,
        n_heads: int | None = 4,
        dropout: float = 0.1,
        backbone_options: dict[str, Any] | None = None,
        pooling: str = "mean",
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        warmup_steps: int = 100,
        min_lr_ratio: float = 0.1,
        adam_beta2: float = 0.95,
        init_from: str | None = None,
        freeze: str = "none",
        freeze_layers: int = 0,
        backbone_lr_ratio: float = 1.0,
        compile: bool = False,
        compile_options: dict[str, Any] | None = None,
        data_info: dict[str, Any] | None = None,
    ):
        """
        Args:
            backbone: a registered backbone (`polyseq plugins`): transformer or rnn built in.
            d_model, n_layers, n_heads, dropout: the backbone's size (each used where the backbone's
                config has that field: n_heads by attention only).
            backbone_options: any other field of the backbone's config (e.g. positional: rope,
                cell: gru, bidirectional: true, max_len: 2048).
            pooling: cls, mean or last - how pooled heads (classify, regress) summarise a sequence.
            lr, weight_decay, warmup_steps, min_lr_ratio: AdamW with warmup + cosine decay.
            adam_beta2: AdamW's second-moment decay (beta1 is 0.9): 0.95 suits long or large runs,
                0.99 small models on few tokens (nanoGPT's tiny Shakespeare setting).
            init_from: a checkpoint or `polyseq export` folder whose backbone (architecture and
                weights) starts this model; a new head is created for this task.
            freeze: none, backbone (all its weights) or layers (embeddings + first freeze_layers layers).
            backbone_lr_ratio: the backbone's learning rate as a fraction of lr (e.g. 0.1 when fine-tuning).
            compile: torch.compile the backbone(s) in place when a Trainer runs the model (configure_model:
                fit, validate, test; never predict/generate, which load the same weights uncompiled). The
                state_dict keys are unchanged (no `_orig_mod.`), so checkpoints load into uncompiled models.
            compile_options: arguments of torch.compile, e.g. {backend: aot_eager} or {mode: max-autotune};
                default {dynamic: true} with the inductor backend.
            data_info: filled in from the data module (a DataInfo as plain values: vocabulary, task,
                labels, scaler, tokenizer).
        """
        options = {k: v for k, v in locals().items() if k not in ("self", "__class__", "data_info")}
        super().__init__()
        if data_info is None:
            raise ConfigError("SequenceModel needs data_info: train it with a SequenceDataModule (polyseq fit links them)")
        if pooling not in POOLINGS:
            raise ConfigError(f"--model.pooling={pooling!r} is not one of {', '.join(POOLINGS)}")
        _check_optimiser(lr=lr, weight_decay=weight_decay, warmup_steps=warmup_steps, min_lr_ratio=min_lr_ratio,
                         backbone_lr_ratio=backbone_lr_ratio, adam_beta2=adam_beta2)
        from polyseq.tasks import get_task

        self.info = DataInfo.from_dict(data_info, source="--model.data_info")
        # explicit values, not Lightning's frame inspection: that would also collect the arguments of an
        # enclosing SequenceModel (one built inside another, as --model.init_from does)
        self.save_hyperparameters({**options, "data_info": self.info.to_dict()})  # data_info: the current format
        self.task = get_task(self.info.task, where=" (the model's data_info)")
        self._pretrained: dict[str, Any] | None = None
        self.task.build(self)
        for module in ("backbone", "head"):
            if not isinstance(getattr(self, module, None), nn.Module):
                raise ConfigError(f"task {self.task.name!r} did not build `{module}` in build(model)")
        backbones.freeze(self.backbone, freeze, freeze_layers)
        if compile_options and not compile:
            raise ConfigError("--model.compile_options is given but --model.compile is false: add --model.compile=true")
        self._compile = compile_arguments(compile_options) if compile else None  # checked now, applied in configure_model
        self.metrics = nn.ModuleDict({f"{s}_": m for s in STAGES if (m := self.task.metrics(self.info)) is not None})

    # ---- what tasks build with ------------------------------------------------------------------

    def make_backbone(self, mode: str, vocab_size: int, pretrained: bool = True) -> nn.Module:
        """A backbone in `mode` with this model's options; from --model.init_from when given (and `pretrained`)."""
        hp = self.hparams
        if hp["init_from"] and pretrained:
            from polyseq.training.pretrained import pretrained_backbone

            name, source = pretrained_backbone(hp["init_from"], self.info.tokenizer)
            config = adapt_config(source, mode)
            backbone = build_backbone(name, "causal" if config.causal else "bidirectional", config.vocab_size,
                                      options_of(config))
            backbone.load_state_dict(source.state_dict())
            # the checkpoint must rebuild without the source file: record the architecture, not the path
            self.hparams.update(backbone=name, d_model=backbone.d_model, init_from=None, backbone_options=options_of(config))
            return backbone
        sizes = {k: hp[k] for k in ("d_model", "n_layers", "n_heads", "dropout")}
        return build_backbone(hp["backbone"], mode, vocab_size, dict(hp["backbone_options"] or {}),
                              max_length=self.info.max_length, sizes=sizes)

    def stage_metrics(self, stage: str) -> Any:
        """The stage's MetricCollection (the task's `metrics`); None when the task has none."""
        key = f"{stage}_"
        return self.metrics[key] if key in self.metrics else None

    def tokenizer(self, target: bool = False) -> Any:
        """The tokenizer the model was trained with (`target`: the seq2seq target's), built once."""
        from polyseq.tokenizers.serialization import tokenizer_from_dict

        cached = self.__dict__.setdefault("_tokenizers", {})
        if target not in cached:
            config = self.info.target_tokenizer if target else self.info.tokenizer
            if config is None:
                raise ConfigError(f"a {self.task.name!r} model has no target tokenizer")
            cached[target] = tokenizer_from_dict(config, source="the model's data_info")
        return cached[target]

    # ---- forward and steps ----------------------------------------------------------------------

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The backbone's hidden states (B, T, d_model); heads and losses are the task's."""
        return self.backbone(input_ids, attention_mask)  # None: no padding (fused attention paths)

    def configure_model(self) -> None:
        """Lightning calls this before the strategy wraps the model (DDP/FSDP): compile the backbone(s) once."""
        if self._compile is not None:
            compile_backbones(self, self._compile)
            self._compile = None

    def _step(self, batch: dict[str, torch.Tensor], stage: str) -> torch.Tensor:
        try:
            loss, extra = self.task.step(self, batch, stage)
        except Exception as e:
            if self.hparams.get("compile") and type(e).__name__ == "BackendCompilerFailed":
                raise compile_failed(e) from e
            raise
        n = batch["input_ids"].size(0)
        on_step = stage == "train"
        self.log(f"{stage}/loss", loss, prog_bar=True, on_step=on_step, on_epoch=True, batch_size=n, sync_dist=not on_step)
        for key, value in extra.items():
            self.log(f"{stage}/{key}", value, on_epoch=True, batch_size=n, sync_dist=True)
        return loss

    def _log_metrics(self, stage: str) -> None:
        """Compute, log and reset the stage's metrics: their state never outlives an epoch."""
        metrics = self.stage_metrics(stage)
        if metrics is None or not any(m.update_count for m in metrics.values()):
            return
        values = metrics.compute()
        self.log_dict({f"{stage}/{k}": v for k, v in values.items() if v.numel() == 1}, sync_dist=False)
        metrics.reset()

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    def on_train_epoch_end(self) -> None:
        self._log_metrics("train")

    def on_validation_epoch_end(self) -> None:
        self._log_metrics("val")

    def on_test_epoch_end(self) -> None:
        self._log_metrics("test")

    @torch.no_grad()
    def predict_rows(self, batch: dict[str, torch.Tensor], options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The task's output columns for each item of `batch` (what `polyseq predict` writes)."""
        return self.task.predict(self, batch, options or {})

    def configure_optimizers(self) -> Any:
        hp = self.hparams
        optimizer = build_adamw(self, hp["lr"], hp["weight_decay"], betas=(0.9, hp.get("adam_beta2", 0.95)),
                                device_type=self.device.type,
                                lr_ratios={"backbone.": hp.get("backbone_lr_ratio", 1.0)})
        total: int | None = 1000
        if self._trainer is not None:
            estimated = self.trainer.estimated_stepping_batches
            # bounded by --trainer.max_time only: no step count to decay over
            total = max(1, int(estimated)) if math.isfinite(estimated) else None
        warmup = hp["warmup_steps"] if total is None else min(hp["warmup_steps"], total // 10 + 1)
        scheduler = warmup_cosine(optimizer, warmup, total, hp["min_lr_ratio"])
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def load_model(path: str, map_location: str = "cpu") -> SequenceModel:
    """A SequenceModel in eval mode from a checkpoint (`weights_only=True`, CRCs, hyper-parameters
    against weights: `pretrained.load_checked`) or an export folder (safetensors), on `map_location`."""
    from polyseq.training.pretrained import load_checked

    return load_checked(path, "checkpoint").to(map_location)


def _check_optimiser(**values: float) -> None:
    """Each optimiser setting is a finite number in its range; a problem names its --model flag."""
    import math

    ranges = {"lr": (0.0, False), "weight_decay": (0.0, True), "warmup_steps": (0, True),
              "min_lr_ratio": (0.0, True), "backbone_lr_ratio": (0.0, True), "adam_beta2": (0.0, True)}
    problems = []
    for name, value in values.items():
        low, inclusive = ranges[name]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and (
            value >= low if inclusive else value > low) and (name != "adam_beta2" or value < 1)
        if not ok:
            below_one = " and < 1" if name == "adam_beta2" else ""
            problems.append(f"--model.{name}={value!r} must be a finite number {'>=' if inclusive else '>'} {low}{below_one}")
    if problems:
        raise ConfigError(problems)


def compile_arguments(options: dict[str, Any] | None) -> dict[str, Any]:
    """torch.compile's arguments from --model.compile_options (default: dynamic shapes, inductor), checked."""
    import torch._dynamo

    options = {"dynamic": True, **(options or {})}
    unknown = sorted(set(options) - set(COMPILE_ARGS))
    if unknown:
        raise ConfigError(f"--model.compile_options: unknown key(s) {', '.join(unknown)}; valid: {', '.join(COMPILE_ARGS)}")
    if not torch._dynamo.is_dynamo_supported():
        raise ConfigError(f"--model.compile=true: torch.compile is not supported with torch {torch.__version__} on "
                          f"this Python/platform; drop --model.compile")
    backend = options.get("backend", "inductor")
    known = torch._dynamo.list_backends(exclude_tags=())
    if not isinstance(backend, str) or backend not in known:
        raise ConfigError(f"--model.compile_options: backend={backend!r} is not a torch.compile backend here; "
                          f"choose one of {', '.join(b for b in known if 'TESTING' not in b)}")
    return options


def compile_backbones(model: nn.Module, options: dict[str, Any] | None = None) -> None:
    """torch.compile, in place, every backbone the task built (children with `token_embedding` and
    `d_model`, the backbone contract); `nn.Module.compile` keeps the state_dict keys (no `_orig_mod.`).
    A plain training loop calls this itself (benchmarks/gpu.py)."""
    options = compile_arguments(options)
    for child in model.children():
        if hasattr(child, "token_embedding") and hasattr(child, "d_model"):
            child.compile(**options)


def compile_failed(e: Exception) -> PolyseqError:
    """torch.compile's backend failed on the first batch (no C++ compiler, no Triton...): say what to do."""
    cause = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return PolyseqError(f"--model.compile=true: torch.compile failed on the first batch ({cause[:300]}); "
                        f"try --model.compile_options='{{backend: aot_eager}}' or run without --model.compile")
