"""Opt-in: the derived catalog datasets built from the real files of the mirror, checked against them.

ecoli_cds_tags and ecoli_cds_protein from the RefSeq GenBank file, uspto_50k from Liu et al.'s split.
Run with `POLYSEQ_DATA_MIRROR=../shared/data pytest -m realdata tests/realdata/test_catalog_derived_real.py`.
Nothing is downloaded (POLYSEQ_OFFLINE=1); the cache is a fresh temporary folder.
"""

from __future__ import annotations

import csv
import gzip
import importlib
import re
from collections import Counter

import pytest
from Bio import SeqIO
from Bio.Seq import Seq
from rdkit import Chem

from polyseq import ReadReport, get_domain, hookimpl, plugins
from polyseq.catalog import files_folder, get_dataset, split_files

pytestmark = pytest.mark.realdata
NAMES = ("ecoli_cds_tags", "ecoli_cds_protein", "uspto_50k")
GENOME = "dna/ecoli_k12_genome/GCF_000005845.2_ASM584v2_genomic.fna.gz"


@pytest.fixture(scope="module")
def catalog(data_mirror, realdata_cache):
    """The entries registered (explicitly where the plugins do not yet), a fresh cache (shared by the real-data modules), the mirror, no network."""
    patch = pytest.MonkeyPatch()
    patch.setenv("POLYSEQ_CACHE", str(realdata_cache))
    patch.setenv("POLYSEQ_DATA_MIRROR", str(data_mirror))
    patch.setenv("POLYSEQ_OFFLINE", "1")
    entries = [e for d in ("dna", "smiles") for e in importlib.import_module(f"polyseq_{d}.datasets").DATASETS]
    missing = [e for e in entries if e.name in NAMES and e.name not in plugins.registry().datasets]

    class Plugin:
        @hookimpl
        def register_datasets(self, register):
            for entry in missing:
                register(entry)

    name = plugins.register(Plugin(), name="realdata-derived-datasets") if missing else None
    yield data_mirror
    if name:
        plugins.unregister(name)
    patch.undo()


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def split_rows(name, task):
    return {split: rows(paths[0]) for split, paths in split_files(name, task, progress=False).items()}


def read(domain, path, **options):
    report = ReadReport()
    return list(get_domain(domain).read(path, report=report, **options)), report


@pytest.fixture(scope="module")
def annotation(catalog):
    """The GenBank record, parsed by Biopython from the cached copy the entries share."""
    split_files("ecoli_cds_tags", "tag", progress=False)
    path = files_folder(get_dataset("ecoli_cds_tags")) / "GCF_000005845.2_ASM584v2_genomic.gbff.gz"
    with gzip.open(path, "rt") as f:
        return SeqIO.read(f, "genbank")


def test_ecoli_cds_tags(catalog, annotation):
    by_split = split_rows("ecoli_cds_tags", "tag")
    assert {s: len(r) for s, r in by_split.items()} == {"train": 3714, "val": 464, "test": 464}
    ordered = [r for s in ("train", "val", "test") for r in by_split[s]]
    assert [int(r["start"]) for r in ordered] == list(range(0, 4_641_652, 1000))  # contiguous, disjoint
    sequence, labels = "".join(r["sequence"] for r in ordered), "".join(r["labels"] for r in ordered)
    with gzip.open(catalog / GENOME, "rt") as f:
        assert sequence == str(SeqIO.read(f, "fasta").seq) == str(annotation.seq)
    assert Counter(labels) == {"+": 1_928_087, "-": 2_049_152, "B": 2_937, ".": 661_476}
    assert all(len(r["sequence"]) == len(r["labels"]) for r in ordered)
    for feature in (f for f in annotation.features if f.type == "CDS" and "translation" in f.qualifiers):
        allowed = {"+", "B"} if feature.location.strand == 1 else {"-", "B"}
        for part in feature.location.parts:
            assert set(labels[int(part.start):int(part.end)]) <= allowed, feature.qualifiers["locus_tag"]
    spec = get_dataset("ecoli_cds_tags").task("tag")
    for split, paths in split_files("ecoli_cds_tags", "tag", progress=False).items():
        records, report = read("dna", paths[0], **spec.reader_options)
        assert report.n_bad == 0 and len(records) == len(by_split[split])
        assert all(r.target == row["labels"] for r, row in zip(records, by_split[split]))


def test_ecoli_cds_protein(catalog, annotation):
    by_split = split_rows("ecoli_cds_protein", "seq2seq")
    assert {s: len(r) for s, r in by_split.items()} == {"train": 37_022, "val": 4_759, "test": 4_681}
    everything = [r for rs in by_split.values() for r in rs]
    for r in everything:  # every pair is the translation of its own DNA by Biopython, table 11
        assert len(r["dna"]) % 3 == 0 and len(r["dna"]) <= 90 and r["protein"] == str(Seq(r["dna"]).translate(table=11))
    genes = {s: {r["gene"] for r in rs} for s, rs in by_split.items()}
    assert not (genes["train"] & genes["val"] or genes["train"] & genes["test"] or genes["val"] & genes["test"])
    proteins: dict[str, list[str]] = {}
    for r in everything:
        proteins.setdefault(r["id"].rsplit(":", 1)[0], []).append(r["protein"])
    translated = [f for f in annotation.features if f.type == "CDS" and "translation" in f.qualifiers]
    translations = {f.qualifiers["protein_id"][0]: f.qualifiers["translation"][0] for f in translated}
    assert len(proteins) == 4_295 and len(translations) == 4_298
    skipped = {f.qualifiers["locus_tag"][0] for f in translated if f.qualifiers["protein_id"][0] not in proteins}
    assert skipped == {"b1474", "b3894", "b4079"}  # fdnG, fdoG, fdhF: selenocysteine at an in-frame TGA
    for cds, pieces in proteins.items():
        whole = "".join(pieces)
        assert whole.endswith("*") and whole[1:-1] == translations[cds][1:]  # the first residue: the start codon
    spec = get_dataset("ecoli_cds_protein").task("seq2seq")
    assert spec.data_options == {"target_domain": "text", "target_tokenizer": "char",
                                 "target_tokenizer_options": {"fallback": "unk"}}
    val = split_files("ecoli_cds_protein", "seq2seq", progress=False)["val"][0]
    records, report = read("dna", val, **spec.reader_options)
    assert report.n_bad == 0 and [r.target for r in records] == [r["protein"] for r in by_split["val"]]


def test_uspto_50k(catalog):
    by_split = split_rows("uspto_50k", "seq2seq")
    assert {s: len(r) for s, r in by_split.items()} == {"train": 40_029, "val": 5_004, "test": 5_004}
    everything = [r for rs in by_split.values() for r in rs]
    assert Counter(int(r["class"]) for r in everything) == {
        1: 15_122, 2: 11_913, 3: 5_639, 4: 900, 5: 650, 6: 8_353, 7: 4_585, 8: 814, 9: 1_834, 10: 227}
    mapped = re.compile(r"\[[^\]]*:\d+\]")
    for r in everything:
        assert r["reaction"] == f"{r['reactants']}>>{r['product']}" and not mapped.search(r["reaction"])
    for r in everything[::50]:
        assert Chem.MolToSmiles(Chem.MolFromSmiles(r["product"])) == r["product"]
        assert Chem.MolToSmiles(Chem.MolFromSmiles(r["reactants"])) == r["reactants"]
    entry = get_dataset("uspto_50k")
    paths = split_files("uspto_50k", "seq2seq", progress=False)
    for task in ("seq2seq", "classify"):
        records, report = read("smiles", paths["test"][0], **entry.task(task).reader_options)
        assert report.n_bad == 0 and len(records) == 5_004 and all(isinstance(r.target, str) for r in records)
    assert {r.target for r in records} == {str(c) for c in range(1, 11)}
