"""What `predict`, `generate` and `embed` share: their Trainer and reader flags, opening a checkpoint
with all it carries, reading an input file.

Nothing here imports torch or Lightning at import time: `polyseq --help` builds every parser.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyseq.cli import add_option_arguments, options_from

#: the Trainer flags inference takes, with `polyseq fit`'s names and defaults (accelerator: cpu, as fit)
TRAINER_FLAGS: dict[str, tuple[Any, str]] = {
    "accelerator": ("cpu", "cpu, gpu, cuda, mps or auto (as polyseq fit)"),
    "devices": ("auto", "how many devices (or which: '[0, 2]'); N > 1 runs one process per device"),
    "precision": ("32-true", "e.g. 32-true, bf16-mixed, 16-mixed (GPU), bf16-true, 64-true"),
    "strategy": ("auto", "e.g. ddp for several devices (spawn/fork strategies are refused)"),
    "num_nodes": (1, "machines taking part, each running the same command"),
    "enable_progress_bar": (True, "Lightning's progress bar, on stderr"),
}


def add_inference_arguments(p: argparse.ArgumentParser, batch_size: int) -> None:
    """--batch-size, the reader options and the Trainer flags every inference command takes."""
    p.add_argument("--batch-size", type=int, default=batch_size, help="inputs per step (per device)")
    add_option_arguments(p, "reader")
    group = p.add_argument_group(
        "Lightning Trainer",
        "Inference runs under Lightning's Trainer.predict with the same flags as `polyseq fit`; "
        "values are read as YAML (--trainer.devices 2 is an int).",
    )
    for name, (default, text) in TRAINER_FLAGS.items():
        group.add_argument(f"--trainer.{name}", dest=f"trainer_{name}", default=default, metavar="VALUE",
                           help=f"{text} (default: {default})")


def trainer_options(args: argparse.Namespace) -> dict[str, Any]:
    """The --trainer.* flags as Trainer keyword arguments (strings read with YAML rules)."""
    import yaml

    options = {}
    for name, (default, _) in TRAINER_FLAGS.items():
        value = getattr(args, f"trainer_{name}")
        if isinstance(value, str):
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError:
                pass
        options[name] = value
    return options


def make_trainer(args: argparse.Namespace) -> Any:
    """The inference Trainer of the --trainer.* flags (errors name the flags that differ from their defaults)."""
    from polyseq.training.inference import make_trainer

    return make_trainer(trainer_options(args), {name: default for name, (default, _) in TRAINER_FLAGS.items()})


@dataclass
class Loaded:
    model: Any
    info: Any  # the model's DataInfo: task, labels, scaler, tokenizer JSON, domain
    tokenizer: Any
    domain: Any


def open_checkpoint(path: str | Path, flag: str = "--ckpt") -> Loaded:
    """A checkpoint or export folder -> the model in eval mode, its tokenizer and its domain.

    Read with `load_checked`: local files only, CRCs checked, `weights_only=True`; errors name `flag`."""
    from polyseq import get_domain
    from polyseq.training.pretrained import load_checked

    model = load_checked(str(path), flag)
    return Loaded(model, model.info, model.tokenizer(), get_domain(model.info.domain))


def read_input(domain: Any, path: Path, command: str, args: argparse.Namespace | None = None,
               strict: bool = False, quiet: bool = False) -> list[Any]:
    """Every record of `path`, read with the reader options of `args`; bad records are reported on
    stderr (unless `quiet`: another process reports them), an error with `strict`."""
    from polyseq.records import ReadReport

    report = ReadReport()
    options = options_from(args, "reader") if args is not None else {}
    records = list(domain.read(path, strict=strict, report=report, **options))
    if report.n_bad and not quiet:
        print(f"polyseq {command}: {report.summary()}", file=sys.stderr)
    return records


def model_items(loaded: Loaded, records: list[Any]) -> list[dict[str, Any]]:
    """Dataset items as the model saw them in training (the task decides: <cls>, cut to max_length...)."""
    return sample_items(loaded, [r.sample for r in records])


def sample_items(loaded: Loaded, samples: list[Any]) -> list[dict[str, Any]]:
    """`model_items` of bare samples (augmented copies of records, for instance)."""
    task, tokenizer, info = loaded.model.task, loaded.tokenizer, loaded.info
    return [task.inference_item(s, tokenizer, info) for s in samples]
