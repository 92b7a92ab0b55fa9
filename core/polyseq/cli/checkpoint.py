"""What `predict`, `generate` and `embed` share: open a checkpoint with all it carries, read an input file."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Loaded:
    model: Any
    info: Any  # the model's DataInfo: task, labels, scaler, tokenizer JSON, domain
    tokenizer: Any
    domain: Any


def open_checkpoint(path: str | Path) -> Loaded:
    """A checkpoint or export folder -> the model in eval mode, its tokenizer and its domain."""
    from polyseq import get_domain
    from polyseq.training.module import load_model

    model = load_model(str(path))
    return Loaded(model, model.info, model.tokenizer(), get_domain(model.info.domain))


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
    """Dataset items as the model saw them in training (the task decides: <cls>, cut to max_length...)."""
    task, tokenizer, info = loaded.model.task, loaded.tokenizer, loaded.info
    return [task.inference_item(r.sample, tokenizer, info) for r in records]
