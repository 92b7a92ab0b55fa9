"""polyseq plugin: the `count` task. Hook implementations only; the task is in task.py."""

from polyseq import hookimpl


@hookimpl
def register_tasks(register):
    # a "module:Class" string: `polyseq plugins` imports the task only to describe it
    register("count", "polyseq_count.task:Count", description="how many times something occurs in a record")
