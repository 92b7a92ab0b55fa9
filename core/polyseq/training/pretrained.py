"""Pretrain -> fine-tune: start a model from another's backbone, freeze parts of it; export weights.

A checkpoint or an export folder is read with `load_model` (no pickle). `polyseq export` writes
`model.safetensors` (weights), `config.json` (the model's hyper-parameters, tokenizer included)
and `tokenizer.json`: a format a scientist can share, loadable wherever a checkpoint is.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from torch import nn

from polyseq.errors import ConfigError, PolyseqError

FREEZE = ("none", "backbone", "layers")


def pretrained_backbone(path: str, task: str, tokenizer: dict[str, Any]) -> tuple[str, Any, dict[str, Any]]:
    """(backbone name, its config for `task`, its weights) from a checkpoint or export folder."""
    from polyseq.training.module import load_model

    source = load_model(path)
    if source.hparams["data_info"]["tokenizer"] != tokenizer:
        raise ConfigError(
            f"--model.init_from={path}: its tokenizer differs from the data module's. Fine-tuning must reuse the "
            "pretrained tokenizer: polyseq fit links it automatically; elsewhere pass --data.tokenizer_from the same path"
        )
    config = source.backbone.config
    if "causal" in {f.name for f in dataclasses.fields(config)} and not getattr(config, "bidirectional", False):
        if hasattr(config, "n_heads"):  # attention masks only: the same weights serve encoder and decoder
            config = dataclasses.replace(config, causal=task == "lm")
    return source.hparams["backbone"], config, source.backbone.state_dict()


def freeze(backbone: nn.Module, how: str, n_layers: int) -> None:
    """`backbone`: every backbone weight; `layers`: embeddings and the first `n_layers` layers."""
    if how not in FREEZE:
        raise ConfigError(f"--model.freeze={how!r} is not one of {', '.join(FREEZE)}")
    if how == "none":
        return
    for name, p in backbone.named_parameters():
        if how == "backbone" or _layer_of(name) is None and "embedding" in name or _below(name, n_layers):
            p.requires_grad_(False)


def _layer_of(name: str) -> int | None:
    m = re.search(r"(?:blocks\.(\d+)\.)|(?:_l(\d+)(?:_reverse)?$)", name)  # Transformer blocks.k / nn.LSTM weight_ih_lk
    return None if m is None else int(m.group(1) or m.group(2))


def _below(name: str, n: int) -> bool:
    layer = _layer_of(name)
    return layer is not None and layer < n


def export(ckpt: str, out: Path) -> list[Path]:
    from safetensors.torch import save_model

    from polyseq.tokenizers.serialization import tokenizer_from_dict
    from polyseq.training.module import load_model

    model = load_model(ckpt)
    out.mkdir(parents=True, exist_ok=True)
    save_model(model, str(out / "model.safetensors"))  # handles the tied LM head
    hparams = {k: v for k, v in model.hparams.items() if not k.startswith("_")}
    (out / "config.json").write_text(json.dumps({"format": "polyseq-model", "format_version": 1, "hparams": hparams}, indent=1))
    tokenizer_from_dict(hparams["data_info"]["tokenizer"], source=ckpt).save(out / "tokenizer.json")
    return [out / "model.safetensors", out / "config.json", out / "tokenizer.json"]


def read_export(folder: Path) -> tuple[dict[str, Any], Any]:
    """(hyper-parameters, a function loading the weights into a model) of an export folder."""
    from safetensors.torch import load_model as load_weights

    config_path = folder / "config.json"
    if not config_path.exists() or not (folder / "model.safetensors").exists():
        raise PolyseqError(f"{folder}: not a polyseq export (needs config.json and model.safetensors; see polyseq export)")
    data = json.loads(config_path.read_text())
    if data.get("format") != "polyseq-model" or data.get("format_version") != 1:
        raise PolyseqError(f"{config_path}: not a polyseq model config of a version this polyseq reads (1)")
    return data["hparams"], lambda model: load_weights(model, str(folder / "model.safetensors"))


def tokenizer_of(path: str) -> dict[str, Any]:
    """The tokenizer JSON dict stored with a checkpoint or export folder (without building the model)."""
    import torch

    folder = Path(path)
    if folder.is_dir():
        return read_export(folder)[0]["data_info"]["tokenizer"]
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        return ckpt["hyper_parameters"]["data_info"]["tokenizer"]
    except FileNotFoundError:
        raise PolyseqError(f"{path}: no such checkpoint") from None
    except (KeyError, TypeError) as e:
        raise PolyseqError(f"{path}: not a polyseq checkpoint (no tokenizer in its data_info)") from e
