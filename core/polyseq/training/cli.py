"""`polyseq fit | validate | test` on LightningCLI: every Trainer flag works as Lightning users expect.

The data module's `data_info` (vocabulary size, task, labels, target scaler, tokenizer) is linked
into the model when both are instantiated, so a YAML config names the data once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.cli import LightningCLI

from polyseq.data.module import SequenceDataModule
from polyseq.training.callbacks import SampleMetrics
from polyseq.training.module import SequenceModel

LIGHTNING_COMMANDS = ("fit", "validate", "test")


class PolyseqCLI(LightningCLI):
    def add_arguments_to_parser(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.link_arguments("data.data_info", "model.data_info", apply_on="instantiate")
        # fine-tuning reuses the pretrained tokenizer, never a new one
        parser.link_arguments("model.init_from", "data.tokenizer_from", apply_on="parse")


def default_checkpoint() -> ModelCheckpoint:
    return ModelCheckpoint(
        monitor="val/loss", mode="min", save_last=True, filename="best-{epoch}-{step}", auto_insert_metric_name=False,
        save_on_train_epoch_end=True,  # also when max_steps ends an epoch early: last.ckpt is the final state
    )


def build(argv: Sequence[str], run: bool = True, **trainer_defaults: Any) -> PolyseqCLI:
    """The CLI over `argv`; with run=False the model, data and trainer are built but nothing runs."""
    import warnings

    warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
    # Lightning's "GPU available but not used" and litmodels tips are noise on a CPU default
    logging.getLogger("pytorch_lightning.utilities.rank_zero").setLevel(logging.WARNING)
    return PolyseqCLI(
        SequenceModel,
        SequenceDataModule,
        args=list(argv),
        run=run,
        parser_kwargs={"prog": "polyseq", "default_env": False},
        save_config_kwargs={"overwrite": True},
        trainer_defaults={
            "accelerator": "cpu",
            "default_root_dir": "runs",
            "callbacks": [default_checkpoint(), SampleMetrics()],
            "logger": {"class_path": "pytorch_lightning.loggers.CSVLogger", "init_args": {"save_dir": "runs"}},
            "gradient_clip_val": 1.0,
            **trainer_defaults,
        },
        seed_everything_default=0,
    )


def run(argv: Sequence[str]) -> int:
    cli = build(argv)
    trainer = cli.trainer
    if trainer.is_global_zero and not trainer.interrupted:
        from polyseq.training.summary import run_summary

        print(run_summary(trainer, cli.model, cli.subcommand or "fit"), flush=True)
    return 0
