"""Tasks: what a model is trained to do with a domain's records (see `polyseq.tasks.base.Task`).

Built in (registered by the core's own plugin through `register_tasks`, as a third party's would be):
lm, mlm, classify, regress, tag, seq2seq. `get_task(name)` returns the registered task object.
"""

from __future__ import annotations

from typing import Any

from polyseq.tasks.base import Task


def get_task(name: str, where: str = " (--data.task)") -> Task:
    """The registered task called `name`; an unknown name lists the registered ones."""
    from polyseq.plugins import registry

    return registry().get_task(name, where)


def task_names() -> list[str]:
    from polyseq.plugins import registry

    return list(registry().tasks)


__all__: list[Any] = ["Task", "get_task", "task_names"]
