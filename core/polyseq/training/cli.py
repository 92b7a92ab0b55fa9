"""`polyseq fit | validate | test` on LightningCLI: every Trainer flag works as Lightning users expect.

The data module's `data_info` (vocabulary size, task, labels, target scaler, tokenizer) is linked
into the model when both are instantiated, so a YAML config names the data once.

Logs and checkpoints follow Lightning's conventions: with no logger given, the CSV logger writes
under `--trainer.default_root_dir` (default `runs`: `runs/lightning_logs/version_N/{metrics.csv,
checkpoints/}`), and TensorBoard's logger beside it (`.../version_N/tensorboard/`) when tensorboard
is installed. A logger the user gives (`--trainer.logger ...`, or any of its `init_args`) is used
as given. `fit --test_after_fit true` tests the best checkpoint once training ends.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.cli import LightningCLI
from pytorch_lightning.loggers import CSVLogger

from polyseq.data.module import SequenceDataModule
from polyseq.errors import ConfigError
from polyseq.training.callbacks import LearningRate, SampleMetrics, Throughput, ValidateAtLastStep
from polyseq.training.module import SequenceModel

LIGHTNING_COMMANDS = ("fit", "validate", "test")
# the default CSV logger's save_dir until it is resolved to `--trainer.default_root_dir` (`--print_config` shows it)
ROOT_DIR = "<default_root_dir>"
CSV_DEFAULTS = {k: p.default for k, p in inspect.signature(CSVLogger).parameters.items() if k != "save_dir"}


class PolyseqCLI(LightningCLI):
    default_logger = False  # set once parsed: no logger was given, polyseq adds TensorBoard's when installed

    def add_arguments_to_parser(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.link_arguments("data.data_info", "model.data_info", apply_on="instantiate")
        # fine-tuning reuses the pretrained tokenizer, never a new one
        parser.link_arguments("model.init_from", "data.tokenizer_from", apply_on="parse")
        parser.add_argument("--test_after_fit", type=bool, default=False,
                            help="fit only: once training ends, test the best checkpoint on the test split")
        parser.add_argument("--checkpoint_on", type=str, default="val/loss",
                            help="the validation value the best checkpoint is chosen on (val/loss; or a metric "
                                 "of the task: val/auroc, val/acc, val/rmse...); `test_after_fit`, `polyseq "
                                 "predict` and `polyseq compare`'s test figures use that checkpoint")
        parser.add_argument("--checkpoint_mode", type=str, default="auto",
                            help="min or max: whether lower or higher --checkpoint_on is better; auto: max for a "
                                 "task metric torchmetrics says is higher-is-better, else min")

    def parse_arguments(self, parser, args) -> None:  # type: ignore[no-untyped-def]
        """Parse `args` (polyseq's own argv: Lightning's warning about also having `sys.argv` does not
        apply), then check `--ckpt_path` before Lightning opens it (see `safe_checkpoint`)."""
        self.config = parser.parse_args(list(args))
        subcommand = self.config.get("subcommand")
        if subcommand:
            safe_checkpoint(self.config[subcommand])
            same_domain_tokenizer(self.config[subcommand])

    def _parse_ckpt_path(self) -> None:
        """As Lightning's: the `--ckpt_path` checkpoint's hyper-parameters become the model's config before
        it is built - but without `data_info`, which the data module links in anyway. jsonargparse re-reads
        every string of an untyped value as YAML, and a vocabulary token '?' (LaTeX, characters) made
        `fit --ckpt_path` (resume), `validate` and `test` end in a TypeError. The file was checked by
        `safe_checkpoint` already."""

        subcommand = self.config.get("subcommand")
        path = self.config[subcommand].get("ckpt_path") if subcommand else None
        if not path or not Path(path).is_file():
            return
        hparams = dict(torch.load(path, weights_only=True, map_location="cpu").get("hyper_parameters", {}))
        for key in ("_instantiator", "data_info"):
            hparams.pop(key, None)
        if hparams:
            self.config = self.parser.parse_object({subcommand: {"model": hparams}}, self.config)

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        self.default_logger = logger_under_root_dir(config["trainer"])
        on, mode = config.get("checkpoint_on") or "val/loss", config.get("checkpoint_mode") or "auto"
        if (on, mode) != ("val/loss", "auto"):  # the default checkpoint callback, chosen on another value
            callbacks = self.trainer_defaults.get("callbacks") or []
            self.trainer_defaults["callbacks"] = [default_checkpoint(on, mode) if isinstance(c, BestAndLast) else c
                                                  for c in callbacks]

    def instantiate_trainer(self, **kwargs: Any):  # type: ignore[no-untyped-def]
        if self.default_logger and "logger" not in kwargs and tensorboard_installed():
            from pytorch_lightning.loggers import TensorBoardLogger

            csv = self._get(self.config_init, "trainer")["logger"]
            # the same version folder as the CSV log (checkpoints follow the first logger), in its own sub-folder
            kwargs["logger"] = [csv, TensorBoardLogger(csv.save_dir, name=csv.name, version=csv.version,
                                                       sub_dir="tensorboard")]
        return super().instantiate_trainer(**kwargs)


def tensorboard_installed() -> bool:
    return any(importlib.util.find_spec(name) is not None for name in ("tensorboard", "tensorboardX"))


def logger_under_root_dir(trainer) -> bool:  # type: ignore[no-untyped-def]
    """The default CSV logger's save_dir becomes `default_root_dir`; True when the logger is the
    untouched default (a logger the user configured, even one init_arg of it, is used as given)."""
    logger = trainer.get("logger")
    if not hasattr(logger, "init_args") or logger.init_args.get("save_dir") != ROOT_DIR:
        return False
    logger.init_args["save_dir"] = str(trainer.get("default_root_dir") or "runs")
    args = {k: v for k, v in vars(logger.init_args).items() if k != "save_dir"}
    return logger.class_path == "pytorch_lightning.loggers.CSVLogger" and args == CSV_DEFAULTS


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


#: validation values where lower is better, by the name they are logged under (after "val/")
LOWER_IS_BETTER = ("loss", "rmse", "mae", "mse", "bits_per_byte", "bits_per_token", "bits_per_symbol", "perplexity")
HIGHER_IS_BETTER = ("r2",)


class BestAndLast(ModelCheckpoint):
    """`fit`'s checkpoints: the best on val/loss (or `--checkpoint_on`) and last.ckpt (the state at the
    end of every epoch, and where max_steps ends one early). A run that never validates
    (`--trainer.limit_val_batches 0`, or a first validation epoch it never reaches) keeps last.ckpt
    only, instead of Lightning warning that the value cannot be found: there is nothing to rank yet.

    `mode="auto"`: the direction torchmetrics gives the task's metric of that name (accuracy, ROC-AUC
    and F1 are higher-is-better), else the task's own for its primary metric, else "min" for the
    losses and errors of LOWER_IS_BETTER and "max" for R²; any other value needs an explicit mode (a ConfigError
    before training says so). A value validation does not log is a ConfigError naming those it does."""

    def __init__(self, monitor: str = "val/loss", mode: str = "auto", **kwargs: Any) -> None:
        if mode not in ("auto", "min", "max"):
            raise ConfigError(f"--checkpoint_mode must be auto, min or max, got {mode!r}")
        self.auto_mode = mode == "auto"
        super().__init__(monitor=monitor, mode="min" if self.auto_mode else mode, **kwargs)

    def setup(self, trainer, pl_module, stage: str) -> None:  # type: ignore[no-untyped-def]
        if stage == "fit" and trainer.limit_val_batches == 0:
            self.monitor, self.save_top_k = None, 0
        elif stage == "fit" and self.auto_mode and self.monitor:
            self.mode = self._direction(pl_module)
            self.kth_value = torch.tensor(-torch.inf if self.mode == "max" else torch.inf)
        super().setup(trainer, pl_module, stage)

    def _direction(self, pl_module) -> str:  # type: ignore[no-untyped-def]
        name = self.monitor.removeprefix("val/")
        metrics = pl_module.stage_metrics("val")
        higher = getattr(metrics[name], "higher_is_better", None) if metrics is not None and name in metrics else None
        task = pl_module.task
        if higher is None and name in task.primary_metric:
            higher = bool(task.higher_is_better)
        if higher is None and name in LOWER_IS_BETTER + HIGHER_IS_BETTER:
            higher = name in HIGHER_IS_BETTER
        if higher is None:
            known = dict.fromkeys(["loss", *task.primary_metric, *task.report_metrics, *(metrics or {})])
            raise ConfigError(f"--checkpoint_on {self.monitor}: not a validation metric of the {task.name!r} task "
                              f"whose direction polyseq knows ({', '.join('val/' + k for k in known)}); for a value "
                              "logged otherwise, give --checkpoint_mode max or min")
        return "max" if higher else "min"

    def _save_topk_checkpoint(self, trainer, monitor_candidates) -> None:  # type: ignore[no-untyped-def]
        if self.monitor not in monitor_candidates:
            if not trainer.fit_loop.epoch_loop.val_loop._has_run:
                return  # Lightning would warn; nothing has been validated yet
            logged = ", ".join(sorted(k for k in monitor_candidates if k.startswith("val/"))) or "none"
            raise ConfigError(f"--checkpoint_on {self.monitor}: validation does not log it (it logs {logged})")
        super()._save_topk_checkpoint(trainer, monitor_candidates)

    def on_train_epoch_end(self, trainer, pl_module) -> None:  # type: ignore[no-untyped-def]
        """last.ckpt at every epoch end (and where max_steps ends one early), whether or not val/loss
        improved: Lightning writes `last` only in a step where it also wrote a top-k checkpoint, so a
        run whose final epochs did not improve kept an older state under that name."""
        super().on_train_epoch_end(trainer, pl_module)
        if self.save_last and self._should_save_on_train_epoch_end(trainer) and not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))


def default_checkpoint(monitor: str = "val/loss", mode: str = "auto") -> ModelCheckpoint:
    return BestAndLast(
        monitor=monitor, mode=mode, save_last=True, filename="best-{epoch}-{step}", auto_insert_metric_name=False,
        save_on_train_epoch_end=True,  # also when max_steps ends an epoch early: last.ckpt is the final state
    )


def build(argv: Sequence[str], run: bool = True, **trainer_defaults: Any) -> PolyseqCLI:
    """The CLI over `argv`; with run=False the model, data and trainer are built but nothing runs."""
    from polyseq.noise import silence

    silence()
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
            "callbacks": [default_checkpoint(), SampleMetrics(), Throughput(), LearningRate(), ValidateAtLastStep()],
            "logger": {"class_path": "pytorch_lightning.loggers.CSVLogger", "init_args": {"save_dir": ROOT_DIR}},
            "gradient_clip_val": 1.0,
            **trainer_defaults,
        },
        seed_everything_default=0,
    )


def run(argv: Sequence[str]) -> int:
    cli = build(argv)
    trainer = cli.trainer
    test = None
    if cli.subcommand == "fit" and cli.config["fit"].get("test_after_fit") and not trainer.interrupted:
        ckpt = "best" if getattr(trainer.checkpoint_callback, "best_model_path", "") else None
        test = trainer.test(cli.model, datamodule=cli.datamodule, ckpt_path=ckpt, verbose=False,
                            weights_only=True)[0]
    if trainer.is_global_zero and not trainer.interrupted:
        from polyseq.training.summary import run_summary

        print(run_summary(trainer, cli.model, cli.subcommand or "fit", test=test), flush=True)
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
