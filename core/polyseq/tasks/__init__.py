"""Tasks: what a model is trained to do with a domain's records (see `polyseq.tasks.base.Task`).

Built in (registered by the core's own plugin through `register_tasks`, as a third party's would be):
lm, mlm, classify, regress, tag, seq2seq. `get_task(name)` returns the registered task object.

This module is the public API for writing a task: `Task`, `get_task`, the helpers
`records_with_targets` and `label_index`, and (imported on first use, since they import torch)
the training items `RecordDataset`, `LMBlocks`, `pad_collate`, the `DataInfo` a model is built
from, and `SequenceModel`.
"""

from __future__ import annotations

from typing import Any

from polyseq.tasks.base import Task, label_index, records_with_targets

_LAZY = {
    "RecordDataset": "polyseq.data.datasets:RecordDataset",
    "LMBlocks": "polyseq.data.datasets:LMBlocks",
    "pad_collate": "polyseq.data.datasets:pad_collate",
    "DataInfo": "polyseq.data.info:DataInfo",
    "SequenceModel": "polyseq.training.module:SequenceModel",
    "primary_metric": "polyseq.compare.report:primary_metric",
}


def __getattr__(name: str) -> Any:
    from polyseq import lazy_attribute

    return lazy_attribute(globals(), _LAZY, name)


def get_task(name: str, where: str = " (--data.task)") -> Task:
    """The registered task called `name`; an unknown name lists the registered ones."""
    from polyseq.plugins import registry

    return registry().get_task(name, where)


def task_names() -> list[str]:
    from polyseq.plugins import registry

    return list(registry().tasks)


__all__: list[Any] = ["Task", "get_task", "label_index", "records_with_targets", "task_names", *_LAZY]
