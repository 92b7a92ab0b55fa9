"""smiles_canonicalize (offline, end to end) and USPTO-50k's assemble and derive steps on small inputs."""

from __future__ import annotations

import csv
import json

import pytest
from rdkit import Chem

from polyseq import ReadReport, get_domain
from polyseq.catalog import fetch, get_dataset, sha256_of, split_files
from polyseq_smiles.datasets import assemble_uspto, derive_uspto, generate_canonicalize_pairs

SMILES = get_domain("smiles")


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read(path, **options):
    report = ReadReport()
    return list(SMILES.read(path, report=report, **options)), report


def test_smiles_canonicalize_end_to_end(domain_datasets, isolated_cache):
    entry = get_dataset("smiles_canonicalize")
    files = split_files(entry, "seq2seq", progress=False)
    assert set(files) == {"train", "val", "test"}
    split_rows = {s: rows(p[0]) for s, p in files.items()}
    assert {s: len(r) for s, r in split_rows.items()} == {"train": 18_991, "val": 2_349, "test": 2_357}
    molecules = {s: {r["canonical"] for r in rs} for s, rs in split_rows.items()}
    assert {s: len(m) for s, m in molecules.items()} == {"train": 3914, "val": 489, "test": 489}
    assert not (molecules["train"] & molecules["val"] or molecules["train"] & molecules["test"]
                or molecules["val"] & molecules["test"])  # no molecule in two splits
    everything = [r for rs in split_rows.values() for r in rs]
    assert len({r["id"] for r in everything}) == len(everything)
    assert len({(r["random"], r["canonical"]) for r in everything}) == len(everything)
    for r in everything[::97]:
        assert Chem.MolToSmiles(Chem.MolFromSmiles(r["random"])) == r["canonical"]
    assert sum(r["random"] != r["canonical"] for r in everything) > 0.9 * len(everything)
    spec = entry.task("seq2seq")
    records, report = read(files["val"][0], **spec.reader_options)
    assert report.n_bad == 0 and len(records) == 2_349
    assert all(isinstance(r.target, str) for r in records)
    assert [(r.sample, r.target) for r in records[:3]] == [(r["random"], r["canonical"]) for r in split_rows["val"][:3]]
    assert spec.data_options == {"target_domain": "smiles"}


def test_smiles_canonicalize_is_reproducible_and_the_seed_matters(tmp_path):
    sums = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        folder = tmp_path / name
        folder.mkdir()
        generate_canonicalize_pairs(folder, seed, forms=3, limit=100)
        sums.append([sha256_of(folder / f"{s}.csv") for s in ("train", "val", "test")])
    assert sums[0] == sums[1] and sums[0] != sums[2]


UPSTREAM = {  # Liu et al.'s layout: "<RX_class> product" and "reactants", one character per token
    "train": (["<RX_6> O C ( = O ) c 1 c c c c c 1", "<RX_2> C C N C ( C ) = O"],
              ["C O C ( = O ) c 1 c c c c c 1", "C C N . C C ( = O ) Cl"]),
    "valid": (["<RX_1> C C O C"], ["C C O . C I"]),
    "test": (["<RX_10> O = [N+] ( [O-] ) c 1 c c c c c 1"], ["c 1 c c c c c 1 . O = [N+] ( [O-] ) O"]),
}


def test_assemble_uspto_rebuilds_the_reference_layout(tmp_path):
    def get(url):
        split, kind = url.rsplit("/", 1)[1].split("_")
        return "".join(line + "\n" for line in UPSTREAM[split][kind == "targets"]).encode()

    out = tmp_path / "uspto.csv"
    assemble_uspto(out, get)
    assert out.read_text().splitlines() == [
        "split,line,class,rxn_smiles",
        "train,1,6,COC(=O)c1ccccc1>>OC(=O)c1ccccc1",
        "train,2,2,CCN.CC(=O)Cl>>CCNC(C)=O",
        "valid,1,1,CCO.CI>>CCOC",
        "test,1,10,c1ccccc1.O=[N+]([O-])O>>O=[N+]([O-])c1ccccc1",
    ]


def test_derive_uspto_canonicalises_drops_atom_maps_and_keeps_the_split(tmp_path):
    source = tmp_path / "files"
    source.mkdir()
    (source / "uspto50k_liu2017.csv").write_text(
        "split,line,class,rxn_smiles\n"
        "train,1,6,COC(=O)c1ccccc1>>OC(=O)c1ccccc1\n"
        "train,2,2,[CH3:1][CH2:2][NH2:3].CC(=O)Cl>>CCNC(C)=O\n"
        "valid,1,1,ICC.OCC>>CCOCC\n"
        "test,1,10,c1ccccc1.O=[N+]([O-])O>>O=[N+]([O-])c1ccccc1\n")
    out = tmp_path / "out"
    out.mkdir()
    derive_uspto(source, out)
    train, val, test = (rows(out / f"{s}.csv") for s in ("train", "val", "test"))
    assert [r["id"] for r in train + val + test] == ["train-1", "train-2", "val-1", "test-1"]
    assert train[1] == {"id": "train-2", "reactants": "CC(=O)Cl.CCN", "product": "CCNC(C)=O",
                        "reaction": "CC(=O)Cl.CCN>>CCNC(C)=O", "class": "2"}
    assert val[0]["reactants"] == "CCI.CCO" and test[0]["reactants"] == "O=[N+]([O-])O.c1ccccc1"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == {"train": 2, "val": 1, "test": 1} and summary["counts"]["reactants_changed"] == 3
    entry = get_dataset("uspto_50k")
    records, report = read(out / "train.csv", **entry.task("seq2seq").reader_options)
    assert report.n_bad == 0 and [(r.sample, r.target) for r in records][1] == ("CC(=O)Cl.CCN", "CCNC(C)=O")
    records, report = read(out / "test.csv", **entry.task("classify").reader_options)
    assert report.n_bad == 0 and records[0].sample.count(">") == 2 and records[0].target == "10"


@pytest.mark.parametrize("name", ["uspto_50k", "ecoli_cds_tags", "ecoli_cds_protein"])
def test_offline_without_a_mirror_names_the_source(name, domain_datasets, monkeypatch):
    from polyseq.errors import DatasetError

    monkeypatch.setenv("POLYSEQ_OFFLINE", "1")
    entry = get_dataset(name)
    with pytest.raises(DatasetError, match="POLYSEQ_DATA_MIRROR") as err:
        fetch(entry, progress=False)
    assert entry.files[0].url in str(err.value)
