"""`SequenceModel`: one LightningModule for every domain and task - backbone + head, loss, metrics, optimiser.

It stays thin: the backbone comes from the registry by name, the head from the task; it never
reads files, tokenises or parses configs. Everything needed to use a checkpoint (tokenizer JSON,
labels, target scaler, domain) arrives in `data_info` from the data module and is saved with
the weights as hyper-parameters - plain JSON-like values, loadable with `weights_only=True`.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import typing
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
import torchmetrics
from torch import nn

from polyseq.data.datasets import IGNORE
from polyseq.domain import resolve
from polyseq.errors import ConfigError
from polyseq.training.heads import POOLINGS, LMHead, PooledHead
from polyseq.training.optim import build_adamw, warmup_cosine


def config_class(backbone_cls: type) -> type:
    """The dataclass a backbone is configured with: `config_class`, or the annotation of `config`."""
    explicit = getattr(backbone_cls, "config_class", None)
    if explicit is not None:
        return explicit
    hints = typing.get_type_hints(backbone_cls.__init__)
    if "config" not in hints or not dataclasses.is_dataclass(hints["config"]):
        raise ConfigError(f"backbone {backbone_cls.__name__} must take `config: <dataclass>` or set config_class")
    return hints["config"]


def build_backbone(name: str, vocab_size: int, causal: bool, options: dict[str, Any]) -> nn.Module:
    """A registered backbone, configured from `options` (unknown keys are an error naming the choices)."""
    from polyseq.errors import unknown_name
    from polyseq.plugins import registry

    backbones = registry().backbones
    if name not in backbones:
        raise unknown_name("backbone", name, backbones, where=" (--model.backbone)")
    cls = resolve(backbones[name].ref, f"backbone {name!r}")
    cfg_cls = config_class(cls)
    fields = {f.name for f in dataclasses.fields(cfg_cls)}
    values = {"vocab_size": vocab_size, "causal": causal, **options}
    unknown = sorted(k for k in values if k not in fields)
    if unknown:
        raise ConfigError(f"--model: option(s) {', '.join(unknown)} do not apply to backbone {name!r}. "
                          f"Its options: {', '.join(sorted(fields - {'vocab_size', 'causal'}))}")
    return cls(cfg_cls(**values))


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
        init_from: str | None = None,
        freeze: str = "none",
        freeze_layers: int = 0,
        backbone_lr_ratio: float = 1.0,
        data_info: dict[str, Any] | None = None,
    ):
        """
        Args:
            backbone: a registered backbone (`polyseq plugins`): transformer or rnn built in.
            d_model, n_layers, n_heads, dropout: the backbone's size (n_heads: attention only).
            backbone_options: any other field of the backbone's config (e.g. positional: rope,
                cell: gru, bidirectional: true, max_len: 2048).
            pooling: cls, mean or last - how classify/regress heads summarise a sequence.
            lr, weight_decay, warmup_steps, min_lr_ratio: AdamW with warmup + cosine decay.
            init_from: a checkpoint or `polyseq export` folder whose backbone (architecture and
                weights) starts this model; a new head is created for this task.
            freeze: none, backbone (all its weights) or layers (embeddings + first freeze_layers layers).
            backbone_lr_ratio: the backbone's learning rate as a fraction of lr (e.g. 0.1 when fine-tuning).
            data_info: filled in from the data module (vocabulary, task, labels, scaler, tokenizer).
        """
        super().__init__()
        if data_info is None:
            raise ConfigError("SequenceModel needs data_info: train it with a SequenceDataModule (polyseq fit links them)")
        if pooling not in POOLINGS:
            raise ConfigError(f"--model.pooling={pooling!r} is not one of {', '.join(POOLINGS)}")
        self.save_hyperparameters()
        self.task = data_info["task"]
        causal = self.task == "lm"
        if pooling == "cls" and backbone == "rnn" and causal:
            raise ConfigError("--model.pooling=cls needs a bidirectional backbone; use mean or last with a causal RNN")
        options = {"d_model": d_model, "n_layers": n_layers, "dropout": dropout, **(backbone_options or {})}
        if backbone == "transformer" and n_heads is not None:
            options.setdefault("n_heads", n_heads)
        if backbone == "rnn" and not causal:
            options.setdefault("bidirectional", True)
        if backbone == "transformer":
            options.setdefault("max_len", max(1024, int(data_info.get("max_length", 0)) + 1))
        if init_from:
            from polyseq.training.pretrained import pretrained_backbone

            backbone, config, weights = pretrained_backbone(init_from, self.task, data_info["tokenizer"])
            self.backbone = build_backbone(backbone, config.vocab_size, config.causal,
                                           {k: v for k, v in dataclasses.asdict(config).items() if k not in ("vocab_size", "causal")})
            self.backbone.load_state_dict(weights)
            d_model = self.backbone.d_model
            # the checkpoint must rebuild without the source file: record the architecture, not the path
            self.hparams.update(backbone=backbone, d_model=d_model, init_from=None, backbone_options={
                k: v for k, v in dataclasses.asdict(config).items() if k not in ("vocab_size", "causal")})
        else:
            self.backbone = build_backbone(backbone, int(data_info["vocab_size"]), causal, options)
        from polyseq.training.pretrained import freeze as freeze_backbone

        freeze_backbone(self.backbone, freeze, freeze_layers)
        if self.task in ("lm", "mlm"):
            self.head: nn.Module = LMHead(self.backbone.token_embedding)
        elif self.task == "classify":
            self.head = PooledHead(d_model, len(data_info["label_names"]), pooling, dropout)
        else:
            self.head = PooledHead(d_model, len(data_info["target_names"]), pooling, dropout)
        self.metrics = nn.ModuleDict({stage: self._metrics() for stage in ("train_", "val_", "test_")})
        if self.task == "regress":
            self.register_buffer("target_mean", torch.tensor(data_info["target_mean"], dtype=torch.float32))
            self.register_buffer("target_std", torch.tensor(data_info["target_std"], dtype=torch.float32))

    def _metrics(self) -> torchmetrics.MetricCollection | nn.Identity:
        info = self.hparams["data_info"]
        if self.task == "classify":
            k = len(info["label_names"])
            return torchmetrics.MetricCollection({
                "acc": torchmetrics.Accuracy(task="multiclass", num_classes=k),
                "f1": torchmetrics.F1Score(task="multiclass", num_classes=k, average="macro"),
                "auroc": torchmetrics.AUROC(task="multiclass", num_classes=k),
            })
        if self.task == "regress":
            return torchmetrics.MetricCollection({
                "rmse": torchmetrics.MeanSquaredError(squared=False),
                "mae": torchmetrics.MeanAbsoluteError(),
                "r2": torchmetrics.R2Score(),
            })
        return nn.Identity()

    # ---- forward and steps ------------------------------------------------------------------

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        hidden = self.backbone(input_ids, attention_mask)  # None: no padding (fused attention paths)
        if attention_mask is None and self.task in ("classify", "regress"):
            attention_mask = torch.ones(input_ids.shape, dtype=torch.bool, device=input_ids.device)
        return self.head(hidden, attention_mask)

    def _step(self, batch: dict[str, torch.Tensor], stage: str) -> torch.Tensor:
        out = self(batch["input_ids"], batch.get("attention_mask"))
        n = batch["input_ids"].size(0)
        on_step = stage == "train"
        if self.task in ("lm", "mlm"):
            loss = F.cross_entropy(out.flatten(0, 1).float(), batch["labels"].flatten(), ignore_index=IGNORE)
            self.log(f"{stage}/loss", loss, prog_bar=True, on_step=on_step, on_epoch=True, batch_size=n, sync_dist=not on_step)
            if stage != "train":
                self.log(f"{stage}/ppl", torch.exp(loss), on_epoch=True, batch_size=n, sync_dist=True)
                self.log(f"{stage}/bits_per_token", loss / math.log(2), on_epoch=True, batch_size=n, sync_dist=True)
                tpb = self.hparams["data_info"].get("tokens_per_byte")
                if self.task == "lm" and tpb:
                    self.log(f"{stage}/bits_per_byte", loss / math.log(2) * tpb, on_epoch=True, batch_size=n, sync_dist=True)
            return loss
        metrics = self.metrics[f"{stage}_"]
        if self.task == "classify":
            loss = F.cross_entropy(out.float(), batch["target"])
            metrics.update(out.float().softmax(-1), batch["target"])
        else:
            target = batch["target"].float()
            loss = F.mse_loss(out.float(), (target - self.target_mean) / self.target_std)
            pred = out.float() * self.target_std + self.target_mean
            metrics.update(pred.flatten(), target.flatten())
        self.log(f"{stage}/loss", loss, prog_bar=True, on_step=on_step, on_epoch=True, batch_size=n, sync_dist=not on_step)
        if stage != "train":
            self.log_dict({f"{stage}/{k}": v for k, v in metrics.items()}, on_epoch=True, batch_size=n)
        return loss

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    @torch.no_grad()
    def predict_outputs(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Class probabilities (classify) or targets in original units (regress)."""
        out = self(batch["input_ids"], batch.get("attention_mask")).float()
        if self.task == "classify":
            return out.softmax(-1)
        if self.task == "regress":
            return out * self.target_std + self.target_mean
        raise ConfigError(f"predict needs a classify or regress model; this one is {self.task!r} (use generate)")

    def configure_optimizers(self) -> Any:
        hp = self.hparams
        optimizer = build_adamw(self, hp["lr"], hp["weight_decay"], device_type=self.device.type,
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
    """A SequenceModel from a Lightning checkpoint (`weights_only=True`) or an export folder (safetensors)."""
    from polyseq.errors import PolyseqError

    if Path(path).is_dir():  # a `polyseq export` folder
        from polyseq.training.pretrained import read_export

        hparams, load_weights = read_export(Path(path))
        model = SequenceModel(**{k: v for k, v in hparams.items() if k in inspect.signature(SequenceModel.__init__).parameters})
        load_weights(model)
        return model.eval()
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise PolyseqError(f"{path}: no such checkpoint") from None
    except Exception as e:
        raise PolyseqError(f"{path}: not a loadable polyseq checkpoint ({type(e).__name__}: {e})") from e
    if "hyper_parameters" not in ckpt or "data_info" not in ckpt["hyper_parameters"]:
        raise PolyseqError(f"{path}: not a polyseq checkpoint (no model hyper-parameters with data_info)")
    accepted = inspect.signature(SequenceModel.__init__).parameters  # LightningCLI adds `_instantiator`
    model = SequenceModel(**{k: v for k, v in ckpt["hyper_parameters"].items() if k in accepted})
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()
