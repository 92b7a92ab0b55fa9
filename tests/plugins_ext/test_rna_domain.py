"""The RNA domain of examples/polyseq-rna: a whole domain in at most 60 lines on the core blocks,
which classifies labelled sequences, tags dot-bracket structures and models (base, pairing) pairs."""

import random
from pathlib import Path

import pytest

import polyseq
from polyseq.cli import main

from .conftest import TINY

PLUGIN = Path(__file__).resolve().parents[2] / "examples" / "polyseq-rna" / "src" / "polyseq_rna" / "__init__.py"
PAIR = {"A": "U", "U": "A", "G": "C", "C": "G"}


@pytest.fixture(scope="module")
def rna():
    if "rna" not in polyseq.domains():
        pytest.fail("domain 'rna' is not registered: run `pip install -e examples/polyseq-rna` (make test does)",
                    pytrace=False)
    return polyseq.get_domain("rna")


def hairpins(path: Path, n: int = 120, seed: int = 0) -> Path:
    """Stem-loops with their dot-bracket structure; label 1 for a long stem."""
    rng, out = random.Random(seed), []
    for i in range(n):
        left = "".join(rng.choice("ACGU") for _ in range(rng.randint(3, 7)))
        loop = "".join(rng.choice("ACGU") for _ in range(rng.randint(3, 6)))
        seq = left + loop + "".join(PAIR[c] for c in reversed(left))
        structure = "(" * len(left) + "." * len(loop) + ")" * len(left)
        out.append(f">h{i} label={int(len(left) > 4)}\n{seq}\n{structure}\n")
    path.write_text("".join(out))
    return path


def test_the_domain_is_at_most_60_lines():
    assert len(PLUGIN.read_text().splitlines()) <= 60


def test_it_classifies_from_header_labels_and_tags_structures(rna, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dbn = hairpins(tmp_path / "hairpins.dbn")
    for task, target in (("classify", "label"), ("tag", "structure")):
        assert main(["fit", "--data.domain", "rna", "--data.train", str(dbn), "--data.task", task,
                     "--data.target", target, "--trainer.max_steps", "4", "--data.tokenizer", "kmer", *TINY[:4],
                     "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]) == 0


def test_the_structure_tokenizer_trains_a_language_model_on_annotated_pairs(rna, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dbn = hairpins(tmp_path / "hairpins.dbn")
    pairs = [r.sample for r in rna.read(dbn, column="annotated", report=polyseq.ReadReport())]
    assert len(pairs) == 120 and all(isinstance(p, polyseq.Annotated) for p in pairs)
    assert main(["fit", "--data.domain", "rna", "--data.train", str(dbn), "--data.tokenizer", "structure",
                 "-r", "column=annotated", "--trainer.max_steps", "4", *TINY[:4],
                 "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]) == 0
