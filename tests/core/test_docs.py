"""Docs that cannot rot: their Python blocks run, and the hook reference matches hookspecs.py."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from polyseq import hookspecs

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "writing-a-plugin.md"


def python_blocks(path: Path) -> list[str]:
    blocks = re.findall(r"^( *)```python\n(.*?)^ *```", path.read_text(encoding="utf-8"), re.S | re.M)
    return [textwrap.dedent(code) for _, code in blocks]


def test_plugin_guide_python_blocks_run_in_order(tmp_path):
    script = tmp_path / "guide.py"
    script.write_text("\n".join(python_blocks(GUIDE)))
    env = dict(os.environ, POLYSEQ_LOAD_PLUGINS="")  # the installed protein example must not clash
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "1 records read from 1 file(s), 1 bad" in result.stdout
    # the task and backbone sections ran to their last line
    assert "backbone 'tinyconv' cannot be built as 'causal' (the task needs it); it supports: bidirectional" in result.stdout


def test_plugin_guide_has_a_section_for_each_kind_of_part():
    headings = re.findall(r"^## \d+\. (.+)$", GUIDE.read_text(encoding="utf-8"), re.M)
    assert {"The domain and its hook", "Writing a task", "Writing a backbone", "Hook reference"} <= set(headings)


def test_hook_reference_lists_exactly_the_hooks_of_hookspecs():
    documented = re.findall(r"^\| `(register_\w+)` \|", GUIDE.read_text(encoding="utf-8"), re.M)
    assert documented == hookspecs.all_hook_names()


def test_every_hookspec_docstring_has_the_standard_parts():
    for name in hookspecs.all_hook_names():
        doc = getattr(hookspecs, name).__doc__
        for part in ("*Called:*", "Args:", "Returns:", "Example::"):
            assert part in doc, f"hookspec {name} lacks {part!r}"


def test_readme_python_blocks_run(tmp_path):
    script = tmp_path / "readme.py"
    script.write_text("\n".join(python_blocks(ROOT / "README.md")))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
