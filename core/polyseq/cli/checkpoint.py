"""What `predict`, `generate` and `embed` share: open a checkpoint with all it carries, read an input file."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Loaded:
    model: Any
    info: dict[str, Any]  # the model's data_info: task, labels, scaler, tokenizer JSON, domain
    tokenizer: Any
    domain: Any


def open_checkpoint(path: str | Path) -> Loaded:
    """A checkpoint or export folder -> the model in eval mode, its tokenizer and its domain."""
    from polyseq import get_domain
    from polyseq.tokenizers.serialization import tokenizer_from_dict
    from polyseq.training.module import load_model

    model = load_model(str(path))
    info = model.hparams["data_info"]
    tokenizer = tokenizer_from_dict(info["tokenizer"], source=f"{path} (tokenizer)")
    return Loaded(model, info, tokenizer, get_domain(info["domain"]))


def read_input(domain: Any, path: Path, command: str, options: list[str], strict: bool = False) -> list[Any]:
    """Every record of `path`; bad records are reported on stderr (an error with `strict`)."""
    from polyseq.cli.tokenize_cmd import parse_options
    from polyseq.records import ReadReport

    report = ReadReport()
    records = list(domain.read(path, strict=strict, report=report, **parse_options(options)))
    if report.n_bad:
        print(f"polyseq {command}: {report.summary()}", file=sys.stderr)
    return records


def model_items(loaded: Loaded, records: list[Any]) -> list[dict[str, Any]]:
    """Dataset items as the model saw them in training: <cls> for classify/regress, cut to max_length."""
    import torch

    from polyseq.tokenizers.base import CLS_ID

    prefix = [CLS_ID] if loaded.info["task"] in ("classify", "regress") else []
    max_length = int(loaded.info.get("max_length", 512))
    return [{"input_ids": torch.tensor((prefix + loaded.tokenizer.encode(r.sample))[:max_length] or [CLS_ID])}
            for r in records]
