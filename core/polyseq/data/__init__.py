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
    """Create folder `final` by calling `fill(tmp_folder)` and renaming; a concurrent writer's result wins."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.tmp"))
    try:
        fill(tmp)
        try:
            os.replace(tmp, final)
        except OSError:  # another process finished first; its copy is identical
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
