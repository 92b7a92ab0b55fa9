"""Shared helpers for the robustness tests: the `polyseq` command run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: the smallest model and run that still writes a checkpoint
TINY = ["--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2", "--trainer.max_steps", "2",
        "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


def run_cli(*args: str | os.PathLike[str], cwd: str | os.PathLike[str], timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m polyseq ARGS` in `cwd` (its own dataset cache there), output captured as text."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "POLYSEQ_CACHE": str(Path(cwd) / ".polyseq-cache")}
    return subprocess.run([sys.executable, "-m", "polyseq", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess, *names: str) -> str:
    """A non-zero exit, no traceback, and a message naming every one of `names`; returns stderr."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for name in names:
        assert name in result.stderr, f"{name!r} not in: {result.stderr}"
    return result.stderr
