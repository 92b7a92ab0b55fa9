"""The task contract: everything that differs between lm, classify, tag, seq2seq... lives in one object.

A task is registered through `register_tasks` like a domain or a backbone, and the engine asks it,
never its name, what to do:

    data       check_config, prepare_targets (labels -> ids, scalers, target tokenizers), dataset, collate
    model      build (backbone(s) + head on a SequenceModel), metrics, step (loss + metric updates)
    use        inference_item + predict (rows of `polyseq predict`), generate (when `generates`)
    report     primary_metric / higher_is_better / report_metrics (`polyseq compare` ranks by them)

Shared pieces (padding, <cls> items, pooled heads) are plain functions in `polyseq.data.datasets`
and `polyseq.training.heads`; a task composes them. Only the methods without a default must be
written by a new task; `polyseq.testing` is not needed for tasks, a `polyseq fit` run is the test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from polyseq.errors import ConfigError, ReaderError

if TYPE_CHECKING:
    import torch
    from torch.utils.data import Dataset

    from polyseq.data.cache import TokenArrays
    from polyseq.data.info import DataInfo
    from polyseq.records import Record

#: what `prepare_targets` may return for one split: one value per record (an array whose first axis
#: is the record), one id sequence per record (ragged: per-token labels, target token ids), or None
Targets = Any
Batch = dict[str, Any]


class Task:
    """Base of every task; subclasses set the class attributes and write the methods without a default."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    needs_target: ClassVar[bool] = False  # a record must carry a target (--data.target names it)
    record_target: ClassVar[str] = "none"  # what the target is, for `polyseq plugins` and errors
    backbone_mode: ClassVar[str] = "bidirectional"  # the mode its (encoder) backbone is built in
    generates: ClassVar[str | None] = None  # "prompt": continues a prompt (lm); "input": maps input records (seq2seq)
    augmentable: ClassVar[bool] = True  # training samples may pass through the domain's augmentations
    uses_target_domain: ClassVar[bool] = False  # targets are sequences of --data.target_domain (seq2seq)
    primary_metric: ClassVar[tuple[str, ...]] = ("loss",)  # candidates, first present wins (without "val/")
    higher_is_better: ClassVar[bool] = False
    report_metrics: ClassVar[tuple[str, ...]] = ()  # shown beside the primary metric in `polyseq compare`
    # `polyseq plot` of a trained model on its validation split, read from the `predict` rows:
    # "classes": confusion matrix + ROC (columns prob_<label> for each of info.labels, targets = class ids);
    # "values": predicted vs true (columns pred_<name> for each of info.target_names); None: curves only
    result_plot: ClassVar[str | None] = None
    # the target is one label per position of the sample (its `prepare_targets` labels positions through
    # tokenizer offsets): a baseline predicts "labels", one distribution per position (polyseq.baselines)
    labels_per_position: ClassVar[bool] = False

    # ---- configuration ---------------------------------------------------------------------------

    def check_config(self, data: Any) -> list[str]:
        """Problems with the data module's options for this task (all at once, each naming its flag).

        `data` is the `SequenceDataModule`: `data.target`, `data.hparams[...]`.
        """
        problems = []
        if self.needs_target and not data.target:
            problems.append(f"--data.task={self.name} needs --data.target (the column/field with {self.record_target})")
        for key in ("target_domain", "target_tokenizer", "target_tokenizer_options", "target_vocab_size"):
            if data.hparams.get(key) and not self.uses_target_domain:
                problems.append(f"--data.{key} applies to sequence-to-sequence tasks only, not --data.task={self.name}")
        return problems

    # ---- data ------------------------------------------------------------------------------------

    def prepare_targets(
        self, records: Mapping[str, Sequence[Record]], tokenizer: Any, data: Any
    ) -> tuple[dict[str, Targets], dict[str, Any]]:
        """Targets per split for the token cache, and the DataInfo fields they imply (labels, scaler...).

        Called once per data preparation, after the tokenizer is trained on the train split. A record
        without a usable target is an error naming its file and line.
        """
        return {split: None for split in records}, {}

    def dataset(self, arrays: TokenArrays, info: DataInfo, encode: Any = None) -> Dataset:
        """The training items of one split; the dataset has `lengths()` for length bucketing.

        `encode(i)` (train split with augmentations only) re-tokenises record i's augmented sample.
        """
        raise NotImplementedError

    def collate(self, info: DataInfo, options: Mapping[str, Any], seed: int = 0) -> Any:
        """A callable: list of items -> batch of tensors (`options`: the data module's hyper-parameters)."""
        from polyseq.data.datasets import pad_collate

        return pad_collate

    # ---- model -----------------------------------------------------------------------------------

    def build(self, model: Any) -> None:
        """Create the model's modules: at least `model.backbone` and `model.head`.

        `model.make_backbone(mode, vocab_size)` builds (or loads with --model.init_from) a backbone
        with the user's options; `model.info` is the DataInfo; `model.hparams` the model's options.
        """
        raise NotImplementedError

    def metrics(self, info: DataInfo) -> Any:
        """A fresh `torchmetrics.MetricCollection` for one stage, or None. The model updates it in `step`,
        computes and logs it at the end of every epoch of every stage, and resets it."""
        return None

    def step(self, model: Any, batch: Batch, stage: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(loss, extra values to log as `<stage>/<name>`); updates `model.metrics[stage]` if it has one."""
        raise NotImplementedError

    # ---- using a trained model -------------------------------------------------------------------

    def inference_item(self, sample: Any, tokenizer: Any, info: DataInfo) -> dict[str, Any]:
        """One input to the model as training saw it (for predict and embed): at least `input_ids`."""
        import torch

        return {"input_ids": torch.tensor(tokenizer.encode(sample)[: info.max_length], dtype=torch.long)}

    def predict(self, model: Any, batch: Batch, options: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One dict of output columns per item of `batch` (`polyseq predict` writes them as CSV)."""
        how = " (use polyseq generate)" if self.generates else ""
        raise ConfigError(f"a {self.name!r} model has nothing to predict per record{how}")

    def record_outputs(self, model: Any, batch: Batch) -> torch.Tensor:
        """(B, ...) outputs per record that can be averaged over augmented copies of an input and
        scored by `metrics` (class probabilities, values in target units): `polyseq predict --tta`.
        Tasks whose outputs cannot be averaged (sequences, per-position labels) keep this error."""
        raise ConfigError(f"--tta: a {self.name!r} model's predictions cannot be averaged over augmented copies "
                          "of an input (classify and regress models can)")

    @property
    def has_record_outputs(self) -> bool:
        """Whether the task overrides `record_outputs` (predict --tta, --split metrics)."""
        return type(self).record_outputs is not Task.record_outputs

    def output_rows(self, model: Any, outputs: torch.Tensor) -> list[dict[str, Any]]:
        """`predict`'s columns from `record_outputs` (averaged or not)."""
        raise ConfigError(f"a {self.name!r} model has no per-record outputs to write")

    def generate(self, model: Any, inputs: list[Any], options: Mapping[str, Any]) -> list[Any]:
        """Samples of the output domain: continuations of prompt ids ("prompt") or maps of input
        samples ("input"). Tasks with `generates = None` do not generate."""
        raise ConfigError(f"a {self.name!r} model cannot generate; train one with a generating task (lm, seq2seq)")

    def metric_samples(self, model: Any, datamodule: Any, n: int, seed: int) -> list[Any] | None:
        """A few decoded samples to judge with the output domain's metrics during `fit` (None: none)."""
        return None

    def __repr__(self) -> str:
        return f"<task {self.name}>"


# ---- helpers tasks share -----------------------------------------------------------------------


def records_with_targets(records: Mapping[str, Sequence[Any]], target: Any) -> None:
    """Every record has a target, or an error names the first one without and how many lack it."""
    for split, recs in records.items():
        missing = [r.where for r in recs if r.target is None]
        if missing:
            raise ReaderError(f"{missing[0]}: record has no target; --data.target={target!r} "
                              f"({len(missing)} record(s) in {split} lack it)")


def label_index(records: Mapping[str, Sequence[Any]], labels_of: Any, what: str) -> list[str]:
    """The sorted label names of the train split; a label only in another split is an error."""
    names = sorted({str(x) for r in records["train"] for x in labels_of(r)})
    for split, recs in records.items():
        unseen = sorted({str(x) for r in recs for x in labels_of(r)} - set(names))
        if unseen:
            raise ConfigError(f"{split} split has {what}(s) {unseen} that the train split lacks "
                              f"(train {what}s: {names}); use a larger train split or another seed")
    return names
