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

    def parse_arguments(self, parser, args) -> None:  # type: ignore[no-untyped-def]
        """Lightning's parsing, then `--ckpt_path` checked before Lightning opens it (see `safe_checkpoint`)."""
        super().parse_arguments(parser, args)
        subcommand = self.config.get("subcommand")
        if subcommand:
            safe_checkpoint(self.config[subcommand])
            same_domain_tokenizer(self.config[subcommand])


def safe_checkpoint(config) -> None:  # type: ignore[no-untyped-def]
    """`--ckpt_path` is a local, intact polyseq checkpoint, unpickled with `weights_only=True`.

    Lightning would download an http(s) `ckpt_path` and unpickle it with `weights_only=False` (its
    `_load` defaults so for URLs): a URL is refused here, and `weights_only` is set to True so the
    Trainer's own load (`_CheckpointConnector.resume_start` -> `pl_load`) can never run pickled code.
    """
    from polyseq.errors import ConfigError
    from polyseq.training.pretrained import LIGHTNING_CKPT_NAMES, load_checked, refuse_remote

    ckpt_path = config.get("ckpt_path")
    if "weights_only" in config:
        if config.get("weights_only") is False:
            raise ConfigError("--weights_only=false is refused: polyseq checkpoints hold only tensors and plain "
                              "values, and a checkpoint loaded with weights_only=false could run code. Drop the flag")
        config["weights_only"] = True
    if ckpt_path is None:
        return
    refuse_remote(ckpt_path, "--ckpt_path")
    if str(ckpt_path) not in LIGHTNING_CKPT_NAMES:
        load_checked(ckpt_path, "--ckpt_path")  # the weights must fit the hyper-parameters Lightning rebuilds from


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


def same_domain_tokenizer(config) -> None:  # type: ignore[no-untyped-def]
    """A tokenizer from `--data.tokenizer_file` or `--model.init_from` made for another domain than
    `--data.domain` is refused, naming both (it would turn most of the data into <unk>)."""
    from polyseq.tokenizers.serialization import check_domain

    data, model = config.get("data"), config.get("model")
    domain = data.get("domain") if data is not None else None
    if not domain:
        return
    if data.get("tokenizer_file"):
        import json

        from polyseq.errors import TokenizerFormatError
        from polyseq.tokenizers.serialization import load_tokenizer

        try:
            load_tokenizer(data["tokenizer_file"])  # every format problem first, in its own words
        except TokenizerFormatError as e:
            raise TokenizerFormatError(f"--data.tokenizer_file: {e}") from None
        with open(data["tokenizer_file"], encoding="utf-8") as f:
            check_domain(json.load(f), domain, f"--data.tokenizer_file {data['tokenizer_file']}")
    init_from = model.get("init_from") if model is not None else None
    if init_from:
        from polyseq.training.pretrained import data_info_of

        info = data_info_of(init_from, "--model.init_from")
        tokenizer = dict(info.get("tokenizer") or {})
        tokenizer.setdefault("domain", info.get("domain"))  # core tokenizers: the domain the model was trained on
        check_domain(tokenizer, domain, f"--model.init_from {init_from}")
