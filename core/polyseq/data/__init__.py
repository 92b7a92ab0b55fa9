"""The data pipeline: files -> records -> token ids (cached once) -> task views -> padded batches.

This module itself stays free of numpy and torch: the dataset catalog imports the cache location
from here when `polyseq plugins` runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def cache_root() -> Path:
    """`$POLYSEQ_CACHE`, else `$XDG_CACHE_HOME/polyseq`, else `~/.cache/polyseq`."""
    env = os.environ.get("POLYSEQ_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "polyseq"


def write_atomically(final: Path, fill: Any) -> None:
    """Create folder `final` by calling `fill(tmp_folder)` and renaming; a concurrent writer's result wins.

    The temporary folder holds a `.lock` flocked while it fills, so a later process can tell a
    build that was killed (lock free: `cache.clean_stale` removes it) from one still running."""
    import fcntl

    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.tmp"))
    lock = os.open(tmp / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fill(tmp)
        (tmp / ".lock").unlink()
        try:
            os.replace(tmp, final)
        except OSError:  # another process finished first; its copy is identical
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        os.close(lock)


def write_text_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` under a temporary name, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
