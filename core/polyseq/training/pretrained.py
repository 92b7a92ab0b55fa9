"""Pretrain -> fine-tune: start a model from another's backbone, freeze parts of it; export weights.

A checkpoint or an export folder is read with `load_model` (no pickle). `polyseq export` writes
`model.safetensors` (weights), `config.json` (the model's hyper-parameters, tokenizer included)
and `tokenizer.json`: a format a scientist can share, loadable wherever a checkpoint is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from torch import nn

from polyseq.errors import ConfigError, PolyseqError


def pretrained_backbone(path: str, tokenizer: Any) -> tuple[str, nn.Module]:
    """(backbone name, the trained backbone) of a checkpoint or export folder, whose tokenizer must be `tokenizer`."""
    from polyseq.training.module import load_model

    source = load_model(path)
    if dict(source.info.tokenizer) != dict(tokenizer):
        raise ConfigError(
            f"--model.init_from={path}: its tokenizer differs from the data module's. Fine-tuning must reuse the "
            "pretrained tokenizer: polyseq fit links it automatically; elsewhere pass --data.tokenizer_from the same path"
        )
    return source.hparams["backbone"], source.backbone


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
