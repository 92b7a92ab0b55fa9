"""Augmentation, splits and metrics of the smiles domain."""

import math
import random
from itertools import islice
from pathlib import Path

import pytest
from rdkit import Chem, DataStructs, RDConfig
from rdkit.Chem import rdFingerprintGenerator

from polyseq import ConfigError, Record, get_domain
from polyseq_smiles.augment import expand, randomize, variants
from polyseq_smiles.metrics import internal_diversity, smiles_metrics
from polyseq_smiles.splits import scaffold, scaffold_split

DOMAIN = get_domain("smiles")
NCI = [r.sample for r in islice(DOMAIN.read(Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"), 400)]


def canon(s):
    return Chem.MolToSmiles(Chem.MolFromSmiles(s))


# ---- augmentation -------------------------------------------------------------------------------


def test_variants_are_the_same_molecule_and_reproducible():
    smiles = DOMAIN.examples[5]
    first = variants(smiles, 8, seed=3)
    assert first == variants(smiles, 8, seed=3) and len(first) == 8
    assert first != variants(smiles, 8, seed=4)
    assert len(set(first)) > 1 and {canon(v) for v in first} == {canon(smiles)}


def test_unique_variants_of_a_small_molecule():
    assert sorted(variants("CCC", 10, seed=0, unique=True)) == ["C(C)C", "CCC"]
    assert len(variants("CCC", 10, seed=0)) == 10


def test_invalid_smiles_is_left_as_it_is():
    assert variants("C1CC", 3) == ["C1CC"]
    assert randomize("C1CC", random.Random(0)) == "C1CC"


def test_randomize_is_the_domain_augmentation_and_follows_the_rng():
    from polyseq.domain import resolve

    aug = resolve(DOMAIN.augmentations["randomize"], "augmentation")
    assert aug is randomize
    a = [randomize(DOMAIN.examples[2], random.Random(7)) for _ in range(2)]
    assert a[0] == a[1] and canon(a[0]) == canon(DOMAIN.examples[2])


def test_expand_gives_n_copies_with_target_and_meta():
    records = [Record("c1ccccc1O", 1.5, {"source": "x", "line": 1}), Record("CCN", 2.0, {"source": "x", "line": 2})]
    out = list(expand(records, 3, seed=1))
    assert len(out) == 6 and [r.target for r in out] == [1.5] * 3 + [2.0] * 3
    assert [r.meta["variant"] for r in out] == [0, 1, 2, 0, 1, 2] and out[4].meta["line"] == 2
    assert out == list(expand(records, 3, seed=1))
    assert list(expand(["CCO"], 2)) == variants("CCO", 2, seed=0)  # plain strings in, strings out
    with pytest.raises(ConfigError, match="n .* got 0"):
        variants("CCO", 0)


# ---- splits -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fractions", [[0.8, 0.3], [], [1.2, -0.2], ["a"]], ids=["sum", "empty", "negative", "text"])
def test_bad_fractions_are_a_config_error(fractions):
    with pytest.raises(ConfigError, match=r"fractions must be non-negative numbers that sum to 1"):
        scaffold_split(["CCO"], fractions, 0)


def test_scaffold_split_keeps_each_scaffold_on_one_side_largest_groups_in_train():
    records = [Record(s) for s in NCI]
    parts = scaffold_split(records, [0.8, 0.1, 0.1], seed=0)
    assert sorted(i for p in parts for i in p) == list(range(len(NCI)))
    scaffolds = [scaffold(s) for s in NCI]
    part_of = {}
    for k, part in enumerate(parts):
        for i in part:
            assert part_of.setdefault(scaffolds[i], k) == k, f"scaffold {scaffolds[i]!r} in two parts"
    largest = max(set(scaffolds), key=scaffolds.count)
    assert part_of[largest] == 0 and part_of[""] == 0  # benzene-like and acyclic groups are the biggest
    assert len(parts[0]) <= round(0.8 * len(NCI)) and parts == scaffold_split(records, [0.8, 0.1, 0.1], seed=9)
    assert len(parts[2]) > 0 and set(DOMAIN.splits) == {"scaffold"}  # random and ordered: the core's


def _deepchem_rule(scaffolds: list[str], frac_train: float, frac_valid: float) -> list[list[int]]:
    """MoleculeNet's scaffold split as DeepChem's ScaffoldSplitter states it, written out again here:
    groups sorted by (size, first index) descending; train while it fits, then valid, then test."""
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(scaffolds):
        groups.setdefault(key, []).append(i)
    n = len(scaffolds)
    train, valid, test = [], [], []
    for group in sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True):
        if len(train) + len(group) > frac_train * n:
            if len(train) + len(valid) + len(group) > (frac_train + frac_valid) * n:
                test += group
            else:
                valid += group
        else:
            train += group
    return [sorted(train), sorted(valid), sorted(test)]


def test_scaffold_split_gives_deepchems_parts():
    # ties among the many one-molecule groups decide which molecules are tested: DeepChem gives the
    # later-starting group first, so the earliest singletons land in test (a reversed tie-break put
    # all 204 BBBP test molecules in one class)
    records = [Record(s) for s in NCI]
    scaffolds = [scaffold(s) for s in NCI]
    assert None not in scaffolds
    assert scaffold_split(records, [0.8, 0.1, 0.1], seed=0) == _deepchem_rule(scaffolds, 0.8, 0.1)
    assert scaffold_split(records, [0.7, 0.15, 0.15], seed=0) == _deepchem_rule(scaffolds, 0.7, 0.15)


def test_scaffold_of_known_molecules():
    assert scaffold("CC(=O)Oc1ccccc1C(=O)O") == "c1ccccc1"
    assert scaffold("CCO") == "" and scaffold("C1CC") is None


# ---- metrics ------------------------------------------------------------------------------------


def test_metrics_on_a_known_set():
    samples = ["CCO", "OCC", "c1ccccc1", "C1CC", "", "CCN"]
    m = DOMAIN.part("metrics")(samples, reference=["C(C)O", "CCCC"])
    assert m["validity"] == pytest.approx(4 / 6)
    assert m["uniqueness"] == pytest.approx(3 / 4)  # CCO and OCC are one molecule
    assert m["novelty"] == pytest.approx(2 / 3)  # ethanol is in the reference
    assert (m["n_samples"], m["n_valid"]) == (6.0, 4.0)


def test_internal_diversity_matches_a_direct_computation():
    mols = ["CCO", "c1ccccc1", "CCN", "c1ccccc1O"]
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    fps = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in mols]
    sims = [DataStructs.TanimotoSimilarity(fps[i], fps[j]) for i in range(4) for j in range(i + 1, 4)]
    assert internal_diversity(mols) == pytest.approx(1 - sum(sims) / len(sims))
    assert smiles_metrics(mols)["internal_diversity"] == pytest.approx(1 - sum(sims) / len(sims))


def test_undefined_metrics_are_nan():
    m = smiles_metrics(["C1CC", "xyz"], reference=[])
    assert m["validity"] == 0.0 and all(math.isnan(m[k]) for k in ("uniqueness", "novelty", "internal_diversity"))
    assert math.isnan(smiles_metrics([])["validity"]) and "novelty" not in smiles_metrics(["CCO"])


def test_diversity_subsample_is_seeded():
    a = smiles_metrics(NCI[:80], diversity_sample=20, seed=1)["internal_diversity"]
    assert a == smiles_metrics(NCI[:80], diversity_sample=20, seed=1)["internal_diversity"]
    assert 0.5 < a < 1.0


def test_an_unknown_split_lists_each_split_once(tmp_path):
    """random and ordered are the core's for every domain; smiles adds scaffold."""
    from polyseq.data.module import SequenceDataModule

    (tmp_path / "m.smi").write_text("".join(f"{s}\n" for s in NCI))
    with pytest.raises(ConfigError, match=r"Available: random, ordered, scaffold$"):
        SequenceDataModule(domain="smiles", train=str(tmp_path / "m.smi"), split="bogus").prepare()
