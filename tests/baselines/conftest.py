"""Small generated data sets for the baseline tests (written to tmp_path; no network, no mirror)."""

import csv
import random

import pytest

MOTIF = "GAATTC"


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def motif_csv(tmp_path):
    """200 random 60-bp sequences; label 1 exactly when MOTIF was planted (absent otherwise)."""
    rng = random.Random(0)
    rows = []
    for i in range(200):
        while True:
            seq = "".join(rng.choice("ACGT") for _ in range(60))
            if MOTIF not in seq:
                break
        label = i % 2
        if label:
            at = rng.randrange(0, 60 - len(MOTIF))
            seq = seq[:at] + MOTIF + seq[at + len(MOTIF):]
        rows.append((seq, label))
    return write_csv(tmp_path / "motif.csv", ["sequence", "label"], rows)


@pytest.fixture
def languages_csv(tmp_path):
    """Sentences of two generated languages with disjoint syllables; label = the language."""
    rng = random.Random(1)
    syllables = {"a": ["ka", "lo", "mi", "tu", "ne"], "b": ["zor", "vex", "qua", "gri", "pyl"]}
    rows = []
    for i in range(160):
        lang = "ab"[i % 2]
        words = ["".join(rng.choice(syllables[lang]) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(3, 8))]
        rows.append((" ".join(words), lang))
    return write_csv(tmp_path / "languages.csv", ["text", "label"], rows)


@pytest.fixture
def logp_csv(tmp_path):
    """Substituted chains and rings with RDKit's Crippen logP as the target."""
    from rdkit import Chem
    from rdkit.Chem import Crippen

    ends = ["", "O", "N", "Cl", "F", "C(=O)O", "c1ccccc1", "S", "OC", "Br"]
    rows = []
    for n in range(1, 13):
        for a in ends:
            for b in ends[::3]:
                smiles = a + "C" * n + b
                mol = Chem.MolFromSmiles(smiles)
                if mol is not None:
                    rows.append((Chem.MolToSmiles(mol), round(Crippen.MolLogP(mol), 4)))
    random.Random(2).shuffle(rows)
    return write_csv(tmp_path / "logp.csv", ["smiles", "logp"], rows)


@pytest.fixture
def prose_txt(tmp_path):
    """English-like prose for the LM: a fixed vocabulary in generated sentences, one per line."""
    rng = random.Random(3)
    words = ("the cat sat on a mat while her dog ran to the old red barn and back again "
             "because every morning some birds sing near our small green house").split()
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 14))).capitalize() + "." for _ in range(400)]
    path = tmp_path / "prose.txt"
    path.write_text("\n".join(lines) + "\n")
    return path
