"""A tiny domain, registered for these tests only, whose CSV rows carry a label and two values."""

import csv
import random
from pathlib import Path

import pytest

from polyseq import BadRecord, Domain, Record, hookimpl, plugins


def read_toy_csv(path: Path, target=None):
    with open(path, newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            meta = {"source": str(path), "line": line, "id": row["id"]}
            if not row["seq"]:
                yield BadRecord("empty sequence", meta)
                continue
            value = None
            if isinstance(target, str):
                value = row[target] if target == "label" else float(row[target])
            elif target:
                value = [float(row[t]) for t in target]
            yield Record(row["seq"], value, meta)


class ToyPlugin:
    @hookimpl
    def register_domains(self, register):
        register(Domain(name="toy", description="letters with planted motifs (tests)",
                        tokenizers={"letters": "polyseq.tokenizers.char:CharTokenizer"}, default_tokenizer="letters",
                        readers={".csv": read_toy_csv}, examples=("abcab",)))


@pytest.fixture(autouse=True)
def toy_domain():
    name = plugins.register(ToyPlugin(), name="toy-tests")
    yield
    plugins.unregister(name)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def write_toy(path: Path, n: int = 120, seed: int = 0, bad_rows: int = 0) -> Path:
    """Class 'motif' sequences contain 'xyz'; value a = count of 'a', value b = length."""
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "seq", "label", "a", "b"])
        for i in range(n):
            s = "".join(rng.choice("abcd") for _ in range(rng.randint(8, 24)))
            label = "motif" if i % 2 else "plain"
            if label == "motif":
                k = rng.randint(0, len(s))
                s = s[:k] + "xyz" + s[k:]
            w.writerow([f"r{i}", s, label, s.count("a"), len(s)])
        for j in range(bad_rows):
            w.writerow([f"bad{j}", "", "plain", 0, 0])
    return path


@pytest.fixture
def toy_csv(tmp_path):
    return write_toy(tmp_path / "toy.csv")
