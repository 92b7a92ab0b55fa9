"""Plugins use polyseq's public API only: the built-in ones are held to what a third party gets.

Public: `polyseq` itself (its `__all__`, building blocks included), `polyseq.testing` (the
conformance kit), and for task and backbone plugins `polyseq.tasks` and `polyseq.models.backbone`.
"""

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import polyseq
import polyseq.tasks

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_MODULES = {"polyseq", "polyseq.testing", "polyseq.tasks", "polyseq.models.backbone", "polyseq.baselines"}
PLUGIN_FILES = sorted([*(ROOT / "plugins").rglob("*.py"), *(ROOT / "examples").glob("*/src/**/*.py")])


def private_imports(path: Path, root: Path = ROOT) -> list[str]:
    """`file:line: import` for each import of a non-public polyseq module, or of a name `polyseq` does not export."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "polyseq":
            names = [a.name for a in node.names]
            if node.module not in PUBLIC_MODULES:
                found.append(f"{path.relative_to(root)}:{node.lineno}: from {node.module} import {', '.join(names)}")
            elif node.module in ("polyseq", "polyseq.tasks"):
                exported = polyseq.__all__ if node.module == "polyseq" else polyseq.tasks.__all__
                missing = [n for n in names if n not in exported]
                if missing:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: polyseq does not export {missing}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "polyseq" and alias.name not in PUBLIC_MODULES:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: import {alias.name}")
    return found


def test_the_built_in_plugins_import_only_the_public_api():
    assert PLUGIN_FILES, "no plugin sources found"
    problems = [p for path in PLUGIN_FILES for p in private_imports(path)]
    assert not problems, "private polyseq imports in plugins:\n" + "\n".join(problems)


def test_the_plugin_guide_uses_only_the_public_api(tmp_path):
    guide = (ROOT / "docs" / "writing-a-plugin.md").read_text(encoding="utf-8")
    script = tmp_path / "guide_blocks.py"
    script.write_text("\n".join(textwrap.dedent(code) for code in re.findall(r"^ *```python\n(.*?)^ *```", guide, re.S | re.M)))
    problems = [p for p in private_imports(script, root=tmp_path)]
    assert not problems, "private polyseq imports in docs/writing-a-plugin.md:\n" + "\n".join(problems)


def test_the_checker_finds_a_private_import(tmp_path):
    fake = ROOT / "plugins" / "_probe_for_test_public_api.py"
    try:
        fake.write_text("from polyseq.tokenizers.base import Vocab\nfrom polyseq import Vocab, NotAName\n"
                        "import polyseq.textio\n")
        assert [p.split(": ", 1)[1] for p in private_imports(fake)] == [
            "from polyseq.tokenizers.base import Vocab", "polyseq does not export ['NotAName']", "import polyseq.textio"]
    finally:
        fake.unlink()


@pytest.mark.parametrize("name", sorted(polyseq.__all__))
def test_every_exported_name_resolves(name):
    assert getattr(polyseq, name) is not None


def test_importing_polyseq_and_its_building_blocks_imports_no_torch():
    code = ("import sys, polyseq; polyseq.read_table; polyseq.LookupTokenizer; polyseq.KmerTokenizer; "
            "polyseq.TrackTokenizer; polyseq.DatasetEntry; print('torch' in sys.modules, 'pytorch_lightning' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
