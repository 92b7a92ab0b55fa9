"""Reading checkpoints safely; pretrain -> fine-tune; export weights.

Every checkpoint polyseq opens goes through `read_checkpoint`: local files only (a URL is refused,
never fetched), the zip's CRCs checked (a damaged tensor is an error, not silently wrong weights),
unpickled with `weights_only=True` (a checkpoint carrying code is refused, the code never runs),
and its layout checked. `load_checked` builds the model from it, or from an export folder.
`polyseq export` writes `model.safetensors` (weights), `config.json` (the model's hyper-parameters,
tokenizer included) and `tokenizer.json`: a format a scientist can share, loadable wherever a
checkpoint is. Every problem is a `PolyseqError` naming the flag and the file.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

from torch import nn

from polyseq.errors import ConfigError, PolyseqError

#: what `fit|validate|test --ckpt_path` accept besides a file: Lightning's names of its own checkpoints
LIGHTNING_CKPT_NAMES = ("last", "best", "hpc", "registry")


def refuse_remote(path: str | os.PathLike[str], flag: str) -> None:
    """A URL (http://, s3://, ...) is refused: a remote checkpoint is never downloaded nor unpickled."""
    text = str(path)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", text):  # also `http:/x` (what pathlib makes of `http://x`)
        raise PolyseqError(
            f"{flag} {text}: remote checkpoints are refused (a checkpoint is a pickle and could run code). "
            "Download it yourself, check where it comes from, and give the local path"
        )


def read_checkpoint(path: str | os.PathLike[str], flag: str = "--ckpt") -> dict[str, Any]:
    """The dict of a local polyseq checkpoint file, checked; one-line PolyseqErrors otherwise."""
    import torch

    refuse_remote(path, flag)
    where = f"{flag} {path}"
    if not Path(path).exists():
        raise PolyseqError(f"{where}: no such file (give a checkpoint written by `polyseq fit`, e.g. runs/.../last.ckpt)")
    if Path(path).is_dir():
        raise PolyseqError(f"{where}: a folder, not a checkpoint file (an export folder needs config.json and model.safetensors)")
    _check_zip(path, where)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises RuntimeError, EOFError, ... for damaged files
        if type(e).__name__ == "UnpicklingError":  # weights_only=True met a global it does not allow
            raise PolyseqError(
                f"{where}: holds objects other than tensors and plain values, refused unread (polyseq loads "
                "checkpoints with weights_only=True, so code inside a checkpoint never runs). Use a checkpoint "
                "written by `polyseq fit`"
            ) from None
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise PolyseqError(f"{where}: cannot be read as a checkpoint ({reason}); the file is damaged or not a checkpoint") from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("hyper_parameters"), dict) \
            or not isinstance(ckpt["hyper_parameters"].get("data_info"), dict):
        raise PolyseqError(f"{where}: not a polyseq checkpoint (no model hyper-parameters with data_info)")
    if not isinstance(ckpt.get("state_dict"), dict):
        raise PolyseqError(f"{where}: has no state_dict (no weights); was it saved with a weights-less callback?")
    return ckpt


def _check_zip(path: str | os.PathLike[str], where: str) -> None:
    """torch.save writes a zip: check it is one, complete, and that every record matches its CRC."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile as e:
        raise PolyseqError(f"{where}: not a complete checkpoint ({e}); the file is truncated, damaged or not a checkpoint") from None
    except (OSError, EOFError) as e:
        raise PolyseqError(f"{where}: cannot be read ({e})") from None
    if bad is not None:
        raise PolyseqError(f"{where}: damaged: record {bad!r} fails its CRC check. Copy the file again or use another checkpoint")


def load_checked(path: str | os.PathLike[str], flag: str = "--ckpt") -> Any:
    """A SequenceModel in eval mode from a checkpoint file or an export folder, every step checked."""
    refuse_remote(path, flag)
    if Path(path).is_dir():
        hparams, load_weights = read_export(Path(path), flag)
        return _build(hparams, load_weights, f"{flag} {path}")
    ckpt = read_checkpoint(path, flag)
    return _build(ckpt["hyper_parameters"], lambda model: model.load_state_dict(ckpt["state_dict"]), f"{flag} {path}")


def _build(hparams: dict[str, Any], load_weights: Any, where: str) -> Any:
    from polyseq.training.module import SequenceModel

    accepted = inspect.signature(SequenceModel.__init__).parameters  # LightningCLI adds `_instantiator`
    try:
        model = SequenceModel(**{k: v for k, v in hparams.items() if k in accepted})
    except PolyseqError as e:
        raise PolyseqError(f"{where}: {_one_line(e)}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise PolyseqError(f"{where}: its hyper-parameters do not describe a polyseq model ({type(e).__name__}: {_one_line(e)})") from None
    try:
        load_weights(model)
    except PolyseqError:
        raise
    except Exception as e:  # load_state_dict's RuntimeError lists every key on many lines
        raise PolyseqError(
            f"{where}: its weights do not fit its hyper-parameters ({_one_line(e)}); the file was edited or mixed "
            "from two runs. Use the checkpoint as `polyseq fit` wrote it"
        ) from None
    return model.eval()


def _one_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    text = "; ".join(lines)
    return text if len(text) <= 300 else text[:297] + "..."


def pretrained_backbone(path: str, tokenizer: Any) -> tuple[str, nn.Module]:
    """(backbone name, the trained backbone) of a checkpoint or export folder, whose tokenizer must be `tokenizer`."""
    source = load_checked(path, "--model.init_from")
    same = ("type", "config")  # not the keys a newer polyseq adds beside them (domain, complete)
    if {k: source.info.tokenizer.get(k) for k in same} != {k: dict(tokenizer).get(k) for k in same}:
        raise ConfigError(
            f"--model.init_from={path}: its tokenizer differs from the data module's. Fine-tuning must reuse the "
            "pretrained tokenizer: polyseq fit links it automatically; elsewhere pass --data.tokenizer_from the same path"
        )
    return source.hparams["backbone"], source.backbone


def export(ckpt: str, out: Path) -> list[Path]:
    from safetensors.torch import save_model

    from polyseq.tokenizers.serialization import save_tokenizer, tokenizer_domain, tokenizer_from_dict

    model = load_checked(ckpt, "--ckpt")
    out.mkdir(parents=True, exist_ok=True)
    save_model(model, str(out / "model.safetensors"))  # handles the tied LM head
    hparams = {k: v for k, v in model.hparams.items() if not k.startswith("_")}
    (out / "config.json").write_text(json.dumps({"format": "polyseq-model", "format_version": 1, "hparams": hparams}, indent=1))
    saved = hparams["data_info"]["tokenizer"]
    domain = tokenizer_domain(saved) or hparams["data_info"].get("domain")  # checkpoints before tokenizers kept theirs
    save_tokenizer(tokenizer_from_dict(saved, source=ckpt), out / "tokenizer.json", domain)
    return [out / "model.safetensors", out / "config.json", out / "tokenizer.json"]


def read_export(folder: Path, flag: str = "--ckpt") -> tuple[dict[str, Any], Any]:
    """(hyper-parameters, a function loading the weights into a model) of an export folder."""
    config_path, weights_path = folder / "config.json", folder / "model.safetensors"
    if not config_path.exists() or not weights_path.exists():
        raise PolyseqError(f"{flag} {folder}: not a polyseq export (needs config.json and model.safetensors; see polyseq export)")
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PolyseqError(f"{flag} {folder}: {config_path} is not valid JSON ({_one_line(e)}); export the checkpoint again") from None
    if not isinstance(data, dict) or data.get("format") != "polyseq-model" or data.get("format_version") != 1:
        raise PolyseqError(f"{flag} {folder}: {config_path} is not a polyseq model config of a version this polyseq reads (1)")
    hparams = data.get("hparams")
    if not isinstance(hparams, dict) or not isinstance(hparams.get("data_info"), dict):
        raise PolyseqError(f"{flag} {folder}: {config_path} is incomplete (no hparams with data_info); export the checkpoint again")

    def load_weights(model: Any) -> None:
        from safetensors import SafetensorError
        from safetensors.torch import load_model as load_safetensors

        try:
            load_safetensors(model, str(weights_path))
        except SafetensorError as e:
            raise PolyseqError(f"{flag} {folder}: {weights_path} cannot be read ({_one_line(e)}); the file is truncated or damaged") from None

    return hparams, load_weights


def data_info_of(path: str, flag: str = "--model.init_from") -> dict[str, Any]:
    """The data_info dict stored with a checkpoint or export folder (without building the model)."""
    refuse_remote(path, flag)
    folder = Path(path)
    hparams = read_export(folder, flag)[0] if folder.is_dir() else read_checkpoint(path, flag)["hyper_parameters"]
    return hparams["data_info"]


def tokenizer_of(path: str, flag: str = "--model.init_from") -> dict[str, Any]:
    """The tokenizer JSON dict stored with a checkpoint or export folder (without building the model)."""
    tokenizer = data_info_of(path, flag).get("tokenizer")
    if not isinstance(tokenizer, dict):
        raise PolyseqError(f"{flag} {path}: not a polyseq checkpoint (no tokenizer in its data_info)")
    return tokenizer
