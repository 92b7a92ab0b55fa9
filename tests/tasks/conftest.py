"""Per-position and sequence-to-sequence files in real domains (DNA, text), generated with a known answer."""

import csv
import random
from pathlib import Path

import pytest

CODON = {"ATG": "M", "GCT": "A", "TGG": "W", "AAA": "K", "GAT": "D", "CCC": "P", "TTT": "F", "GGG": "G"}


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def write_tagged(path: Path, n: int = 160, length: int = 60, seed: int = 0) -> Path:
    """DNA with planted GATTACA sites labelled 'm' base by base, '.' elsewhere (a tag task a model can learn)."""
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "sequence", "labels"])
        for i in range(n):
            seq = [rng.choice("ACGT") for _ in range(length)]
            labels = ["."] * length
            for _ in range(rng.randint(0, 3)):
                at = rng.randrange(length - 7)
                seq[at : at + 7], labels[at : at + 7] = list("GATTACA"), ["m"] * 7
            w.writerow([f"s{i}", "".join(seq), "".join(labels)])
    return path


def write_pairs(path: Path, n: int = 200, seed: int = 0, codons: int = 6) -> Path:
    """DNA -> protein pairs over a tiny genetic code (a translation a model can learn)."""
    rng = random.Random(seed)
    table = list(CODON.items())
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "dna", "protein"])
        for i in range(n):
            picked = [rng.choice(table) for _ in range(rng.randint(2, codons))]
            w.writerow([f"p{i}", "".join(c for c, _ in picked), "".join(a for _, a in picked)])
    return path


@pytest.fixture
def tagged_csv(tmp_path):
    return write_tagged(tmp_path / "tagged.csv")


@pytest.fixture
def pairs_csv(tmp_path):
    return write_pairs(tmp_path / "pairs.csv")
