"""The one place where known third-party noise is silenced, for the CLI and for pytest alike.

Each entry is a warning that polyseq cannot fix at its source because it comes from one library's
use of another (Lightning calling deprecated jsonargparse or torch APIs), with the reason it is
safe to ignore. A warning that polyseq's own code causes is fixed where it is caused, never here.

- `silence()` installs the filters (and quietens Lightning's info logger); `polyseq fit | validate |
  test | compare` call it when they build the Lightning CLI.
- As a pytest plugin (`-p polyseq.noise`, in pyproject's addopts) it adds the same entries to the
  `filterwarnings` ini option, which pytest re-applies around every test.

Messages and modules are regular expressions matched at the start; they hold no `:` so that the
same text is a valid pytest filter.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass


@dataclass(frozen=True)
class Noise:
    message: str  # regex, matched at the start of the warning's text
    category: str  # "DeprecationWarning" or "package.module.ClassName"
    module: str  # regex, matched against the module the warning is attributed to
    why: str


KNOWN_NOISE = (
    Noise(r"", "DeprecationWarning", r"pytorch_lightning\.cli",
          "Lightning's LightningCLI calls jsonargparse APIs deprecated in jsonargparse 4.49 (fixed upstream)"),
    Noise(r"`isinstance\(treespec, LeafSpec\)` is deprecated", "FutureWarning", r"pytorch_lightning\.",
          "Lightning's pytree helper uses torch's deprecated LeafSpec"),
    Noise(r"The '\w+' does not have many workers", "lightning_fabric.utilities.warnings.PossibleUserWarning", r"",
          "Lightning's tip on every run with more than two cores: polyseq loads batches in the training process by "
          "default (memory-mapped token ids, vectorised collate); --data.num_workers N adds workers"),
)


def _category(name: str) -> type[Warning]:
    if "." not in name:
        return getattr(__import__("builtins"), name)
    module, _, attr = name.rpartition(".")
    return getattr(__import__(module, fromlist=[attr]), attr)


def silence() -> None:
    """Ignore every known third-party warning; Lightning's info lines ("GPU available: False...",
    tips about its cloud products) are dropped, its warnings kept."""
    for noise in KNOWN_NOISE:
        warnings.filterwarnings("ignore", message=noise.message, category=_category(noise.category), module=noise.module)
    logging.getLogger("pytorch_lightning.utilities.rank_zero").setLevel(logging.WARNING)


def pytest_configure(config) -> None:  # type: ignore[no-untyped-def]
    """pytest plugin: the same entries as `filterwarnings` lines."""
    for noise in KNOWN_NOISE:
        config.addinivalue_line("filterwarnings", f"ignore:{noise.message}:{noise.category}:{noise.module}")
