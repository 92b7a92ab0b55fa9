"""Shared helpers for the robustness tests: the `polyseq` command run as a user runs it.

`run_cli` spawns `python -m polyseq` (the real entry point, ~4 s of imports per call); `run_main` calls
`polyseq.cli.main` in this process with the same working folder, dataset cache and captured output.
Both return a `subprocess.CompletedProcess`, so `assert_one_line_error` checks either. Keep a few
`run_cli` cases per file for the entry point itself and run the rest through `run_main`.
"""

from __future__ import annotations

import contextlib
import io
import logging
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


def run_main(*args: str | os.PathLike[str], cwd: str | os.PathLike[str], env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess:
    """`polyseq.cli.main(ARGS)` in this process, as `run_cli` runs it: in `cwd`, with its dataset cache
    there (`env` adds variables), stdout and stderr captured (warnings logged to stderr as `main` sets
    up when run alone).

    The exit code is what `main` returns, or a `SystemExit`'s code (argparse and jsonargparse exit so on
    a usage error). Any other exception is what the real command would print as a traceback: it is not
    caught, so the test fails showing it (and the output so far, under "Captured stderr").
    """
    from polyseq.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    # under pytest the root logger already has handlers, so main's logging.basicConfig adds none
    handler = logging.StreamHandler(stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("polyseq: %(levelname)s: %(message)s"))
    environ, folder = dict(os.environ), os.getcwd()
    os.environ.update({"OMP_NUM_THREADS": "1", "POLYSEQ_CACHE": str(Path(cwd) / ".polyseq-cache"), **(env or {})})
    os.chdir(cwd)
    logging.getLogger().addHandler(handler)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = main([str(arg) for arg in args])
            except SystemExit as e:
                code = _exit_status(e.code)
    except BaseException:
        sys.stdout.write(stdout.getvalue())
        sys.stderr.write(stderr.getvalue())
        raise
    finally:
        logging.getLogger().removeHandler(handler)
        os.chdir(folder)
        os.environ.clear()
        os.environ.update(environ)  # Lightning sets PL_GLOBAL_SEED and friends
    return subprocess.CompletedProcess(["polyseq", *map(str, args)], code, stdout.getvalue(), stderr.getvalue())


def _exit_status(code: object) -> int:
    """The status `sys.exit(code)` gives a process (a message is printed to stderr and gives 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def assert_one_line_error(result: subprocess.CompletedProcess, *names: str) -> str:
    """A non-zero exit, no traceback, and a message naming every one of `names`; returns stderr."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for name in names:
        assert name in result.stderr, f"{name!r} not in: {result.stderr}"
    return result.stderr
