"""The third-party example packages under examples/, tested as a user would use them once installed.

They are installed by `make test` (the Makefile's install line); a test that needs one fails - never
skips - when it is missing, saying which `pip install -e` brings it.
"""

import csv
import random
from pathlib import Path

import pytest

from polyseq.plugins import registry

TINY = ["--model.d_model=16", "--model.n_layers=2", "--model.dropout=0.0", "--data.batch_size=8",
        "--data.max_length=40", "--data.tokenizer=char", "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false"]


def require_installed(kind: str, name: str, distribution: str) -> None:
    """Fail (never skip) unless the example package registering `name` is installed."""
    table = {"task": registry().tasks, "backbone": registry().backbones}[kind]
    folder = f"examples/{distribution}"
    if name not in table:
        pytest.fail(f"{kind} {name!r} is not registered: the example package {distribution} is not installed. "
                    f"Run `pip install -e {folder}` (make test installs it).", pytrace=False)
    if table[name].origin.distribution != distribution:
        pytest.fail(f"{kind} {name!r} comes from {table[name].origin}, not from {distribution}: "
                    f"reinstall it with `pip install -e {folder}`", pytrace=False)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def write_letters(path: Path, n: int = 160, seed: int = 0) -> Path:
    """A text-domain CSV: `label` is 'motif' when the text holds 'xyz'; `n_a` counts its a's."""
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label", "n_a"])
        for i in range(n):
            s = "".join(rng.choice("abcd") for _ in range(rng.randint(6, 30)))
            if i % 2:
                k = rng.randint(0, len(s))
                s = s[:k] + "xyz" + s[k:]
            w.writerow([s, "motif" if i % 2 else "plain", s.count("a")])
    return path


@pytest.fixture
def tiny():
    """`polyseq fit` options that keep a run tiny on two CPU cores."""
    return list(TINY)


@pytest.fixture
def require():
    """`require(kind, name, distribution)`: fail, saying what to install, unless `name` is registered by it."""
    return require_installed


@pytest.fixture
def letters_csv(tmp_path):
    return write_letters(tmp_path / "letters.csv")
