"""Nothing outside a task module branches on a task's name, and training never on a backbone's name.

DESIGN.md: a task is an object that owns its behaviour, so `if task == "lm"` anywhere else is a
second place to change when a task is added - the very thing tasks-as-plugins removed. The check
reads the source (AST), so it sees code, not comments or docstrings, and names every offending line.
"""

import ast
from pathlib import Path

import pytest

from polyseq.plugins import CORE_PLUGIN, registry

ROOT = Path(__file__).resolve().parents[2]


def builtin_names(kind: str) -> set[str]:
    """The names the core itself registers (`kind`: "tasks" or "backbones")."""
    table = getattr(registry(), kind)
    names = {name for name, entry in table.items() if entry.origin.plugin == CORE_PLUGIN}
    assert names, f"the core registers no {kind}?"
    return names


def strings(node: ast.AST) -> list[str]:
    """The string literals of a constant or of a tuple/list/set display."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def branches(source: str, names: set[str]) -> list[int]:
    """Lines that branch on one of `names`: compared to it (==, !=, in, is), matched against it
    (`case "lm":`), a dispatch table keyed by several of them, or a collection of several of them."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            found = [s for operand in (node.left, *node.comparators) for s in strings(operand)]
        elif isinstance(node, ast.MatchValue):
            found = strings(node.value)
        elif isinstance(node, ast.Dict):
            keys = [s for k in node.keys if k is not None for s in strings(k)]
            found = keys if len(set(keys) & names) >= 2 else []
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            found = strings(node) if len(set(strings(node)) & names) >= 2 else []
        else:
            continue
        if set(found) & names:
            lines.add(node.lineno)
    return sorted(lines)


def offending(folders: list[Path], names: set[str], outside: Path | None = None) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            if outside is not None and path.is_relative_to(outside):
                continue
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines()
            found += [f"{path.relative_to(ROOT)}:{n}: {lines[n - 1].strip()}" for n in branches(text, names)]
    return found


@pytest.mark.parametrize("code", [
    'if task == "lm":\n    pass',
    'x = info.task in ("classify", "regress")',
    'x = "tag" != name',
    'match task:\n    case "mlm":\n        pass',
    'head = {"lm": a, "classify": b}[task]',
    'GENERATIVE = ("lm", "seq2seq")',
], ids=["eq", "in-tuple", "ne-reversed", "match", "dispatch-dict", "constant-tuple"])
def test_the_check_sees_each_way_of_branching(code):
    assert branches(code, {"lm", "mlm", "classify", "regress", "tag", "seq2seq"}) != []


@pytest.mark.parametrize("code", [
    'if mode == "causal":\n    pass',
    'register("lm", "polyseq.tasks.lm:LanguageModel")',
    'def f(task: str = "lm"):\n    """if task == "lm": a docstring is no branch"""',
], ids=["other-string", "registration", "default-and-docstring"])
def test_the_check_leaves_other_code_alone(code):
    assert branches(code, {"lm", "classify"}) == []


def test_no_task_name_branching_outside_the_task_modules():
    found = offending([ROOT / "core", ROOT / "plugins"], builtin_names("tasks"), outside=ROOT / "core/polyseq/tasks")
    assert not found, "task-name branching outside core/polyseq/tasks/ (ask the task object instead):\n" + "\n".join(found)


def test_no_backbone_name_branching_in_training():
    found = offending([ROOT / "core/polyseq/training"], builtin_names("backbones"))
    assert not found, "backbone-name branching in training (use the backbone contract instead):\n" + "\n".join(found)
