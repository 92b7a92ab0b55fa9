"""GenBank -> per-base coding labels and CDS -> protein pairs, on a small record built here with Biopython."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
import random
from collections import Counter

import pytest
from Bio import SeqIO
from Bio.Seq import Seq
from Bio.SeqFeature import BeforePosition, CompoundLocation, ExactPosition, SeqFeature, SimpleLocation
from Bio.SeqRecord import SeqRecord

from polyseq import get_domain
from polyseq.catalog import dataset_folder, sha256_of, split_files
from polyseq_dna.annotation import (
    Fragment,
    coding_labels,
    gene_groups,
    read_records,
    region_windows,
    split_groups,
    write_protein_pairs,
    write_tag_windows,
)

LENGTH = 2000
SENSE = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in ("TAA", "TAG", "TGA")]


def gene(rng: random.Random, codons: int) -> str:
    """A valid CDS: ATG, sense codons, TAA."""
    return "ATG" + "".join(rng.choice(SENSE) for _ in range(codons - 2)) + "TAA"


def cds(location, locus: str, translation: str | None = None, **qualifiers) -> SeqFeature:
    q = {"locus_tag": [locus], "gene": [f"gen{locus[-1]}"], "transl_table": ["11"], "protein_id": [f"P_{locus}.1"],
         **{k: [v] for k, v in qualifiers.items()}}
    if translation is not None:
        q["translation"] = [translation]
    return SeqFeature(location, type="CDS", qualifiers=q)


def protein(dna: str) -> str:
    return str(Seq(dna).translate(table=11, cds=True))


@pytest.fixture(scope="module")
def genbank(tmp_path_factory):
    """A 2,000-bp record with forward, reverse, overlapping, pseudo, partial, joined and duplicated CDS."""
    rng = random.Random(7)
    seq = [rng.choice("ACGT") for _ in range(LENGTH)]
    g1, g2 = gene(rng, 30), gene(rng, 40)

    def put(start: int, dna: str) -> None:
        seq[start:start + len(dna)] = dna

    put(100, g1)                                       # t0001 + [100, 190)
    put(300, str(Seq(g2).reverse_complement()))        # t0002 - [300, 420)
    put(500, g1)                                       # t0004 + [500, 590): the same protein as t0001
    put(1100, g2[:60])                                 # t0007 + join [1100, 1160) + [1200, 1260)
    put(1200, g2[60:])
    features = [
        cds(SimpleLocation(100, 190, strand=1), "t0001", protein(g1)),
        cds(SimpleLocation(300, 420, strand=-1), "t0002", protein(g2)),
        cds(SimpleLocation(170, 260, strand=-1), "t0003", "MWRONG"),  # overlaps t0001 on [170, 190)
        cds(SimpleLocation(500, 590, strand=1), "t0004", protein(g1)),
        cds(SimpleLocation(700, 790, strand=1), "t0005", None, pseudo=""),
        cds(SimpleLocation(BeforePosition(900), ExactPosition(990), strand=1), "t0006", "MPARTIAL"),
        cds(CompoundLocation([SimpleLocation(1100, 1160, strand=1), SimpleLocation(1200, 1260, strand=1)]),
            "t0007", protein(g2)),
    ]
    record = SeqRecord(Seq("".join(seq)), id="TOY_1.1", name="TOY_1", description="a toy genome",
                       annotations={"molecule_type": "DNA", "topology": "circular"}, features=features)
    path = tmp_path_factory.mktemp("genbank") / "toy.gbff.gz"
    with gzip.open(path, "wt", encoding="ascii") as f:
        SeqIO.write(record, f, "genbank")
    return path


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_labels_mark_each_strand_overlaps_and_skip_pseudo_and_partial_cds(genbank):
    (record,) = read_records(genbank)
    counts = Counter()
    labels = coding_labels(record, counts)
    assert len(labels) == len(record.seq) == LENGTH
    assert set(labels[100:170]) == {"+"} and set(labels[170:190]) == {"B"} and set(labels[190:260]) == {"-"}
    assert set(labels[300:420]) == {"-"} and set(labels[500:590]) == {"+"}
    assert set(labels[700:790]) == {"."} and set(labels[900:990]) == {"."}  # pseudo, partial
    assert set(labels[1100:1160]) == set(labels[1200:1260]) == {"+"} and set(labels[1160:1200]) == {"."}
    assert counts["cds"] == 7 and counts["cds_labelled"] == 5 and counts["bases_both"] == 20
    assert counts["skipped_pseudo"] == 1 and counts["skipped_partial"] == 1
    assert sum(counts[f"bases_{k}"] for k in ("forward", "reverse", "both", "noncoding")) == LENGTH


def test_tag_windows_cover_the_record_once_in_contiguous_splits(genbank, tmp_path):
    summary = write_tag_windows(genbank, tmp_path, window=100)
    (record,) = read_records(genbank)
    labels = coding_labels(record)
    split_rows = {s: rows(tmp_path / f"{s}.csv") for s in ("train", "val", "test")}
    assert {s: len(r) for s, r in split_rows.items()} == {"train": 16, "val": 2, "test": 2} == summary["rows"]
    ordered = [r for s in ("train", "val", "test") for r in split_rows[s]]
    assert [int(r["start"]) for r in ordered] == list(range(0, LENGTH, 100))  # disjoint, contiguous, in order
    assert "".join(r["sequence"] for r in ordered) == str(record.seq)
    assert "".join(r["labels"] for r in ordered) == labels
    assert all(len(r["sequence"]) == len(r["labels"]) for r in ordered)
    assert ordered[4]["id"] == "TOY_1.1:401-500" and ordered[4]["labels"] == "-" * 20 + "." * 80
    assert json.loads((tmp_path / "summary.json").read_text())["counts"]["bases_both"] == 20
    assert abs(sum(summary["label_share"].values()) - 1) < 1e-9


@pytest.mark.parametrize(
    ("length", "window", "expected"),
    [(2000, 100, (16, 2, 2)), (1050, 100, (9, 1, 1)), (4_641_652, 1000, (3714, 464, 464))],
    ids=["even", "short-last-window", "ecoli-size"],
)
def test_region_windows(length, window, expected):
    parts = region_windows(length, window)
    assert tuple(len(parts[s]) for s in ("train", "val", "test")) == expected
    bounds = parts["train"] + parts["val"] + parts["test"]
    assert bounds[0][0] == 0 and bounds[-1][1] == length and all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))


def test_protein_fragments_are_the_translation_of_their_dna(genbank, tmp_path):
    summary = write_protein_pairs(genbank, tmp_path, codons=10)
    counts = summary["counts"]
    assert counts["cds_translated"] == 4 and counts["skipped_translation_differs"] == 1
    assert counts["skipped_pseudo"] == counts["skipped_partial"] == 1 and summary["translation_differs"] == ["t0003"]
    split_rows = {s: rows(tmp_path / f"{s}.csv") for s in ("train", "val", "test")}
    everything = [r for rs in split_rows.values() for r in rs]
    assert len(everything) == 3 + 4 + 3 + 4  # 30 codons -> 3 fragments, 40 -> 4
    for r in everything:
        assert len(r["dna"]) % 3 == 0 and len(r["dna"]) <= 30 and r["protein"] == str(Seq(r["dna"]).translate(table=11))
    (record,) = read_records(genbank)
    by_cds = {}
    for r in everything:
        by_cds.setdefault(r["id"].rsplit(":", 1)[0], []).append(r)
    reverse = record.features[1]  # t0002, on the reverse strand: fragments follow the gene's own direction
    assert "".join(r["dna"] for r in by_cds["P_t0002.1"]) == str(reverse.extract(record.seq))
    assert "".join(r["protein"] for r in by_cds["P_t0002.1"]) == reverse.qualifiers["translation"][0] + "*"
    assert "".join(r["dna"] for r in by_cds["P_t0007.1"]) == str(record.features[-1].extract(record.seq))  # join
    splits_of_gene = {}
    for split, rs in split_rows.items():
        for r in rs:
            splits_of_gene.setdefault(r["gene"], set()).add(split)
    assert all(len(s) == 1 for s in splits_of_gene.values())
    assert splits_of_gene["t0001"] == splits_of_gene["t0004"]  # the same protein: the same split


def test_the_text_char_tokenizer_holds_every_amino_acid_letter():
    """ecoli_cds_protein's target domain and tokenizer (data_options): 20 amino acids, U, X and the stop '*'."""
    from polyseq_dna.datasets import ECOLI_PROTEIN

    options = ECOLI_PROTEIN.task("seq2seq").data_options
    tok = get_domain(options["target_domain"]).make_tokenizer(options["target_tokenizer"])
    proteins = ["ACDEFGHIKLMNPQRSTVWY*", "MUX*", "MKV"]
    tok.train(proteins)
    assert all(tok.decode(tok.encode(p)) == p for p in proteins) and tok.vocab_size >= 23


def test_genes_linked_by_an_identical_protein_share_a_group():
    def frag(locus, translation):
        return Fragment(f"P_{locus}", locus, 1, "ATG", "M", translation)

    groups = gene_groups([frag("b3", "MA"), frag("b1", "MA"), frag("b2", "MC"), frag("b2", "MD"), frag("b4", "MD")])
    assert groups == {"b1": "b1", "b2": "b2", "b3": "b1", "b4": "b2"}


def test_split_groups_keeps_each_group_whole_near_the_fractions():
    genes = [f"g{i // 3}" for i in range(3000)]  # 1,000 groups of 3
    split_of = split_groups(genes, seed=1)
    sizes = {s: sum(1 for g in genes if split_of[g] == s) for s in ("train", "val", "test")}
    assert abs(sizes["train"] - 2400) <= 3 and abs(sizes["val"] - 300) <= 3 and sum(sizes.values()) == 3000
    assert split_of == split_groups(genes, seed=1) and split_of != split_groups(genes, seed=2)


@pytest.mark.parametrize("name", ["ecoli_cds_tags", "ecoli_cds_protein"])
def test_catalog_entry_derives_readable_files_from_a_mirror_copy(name, genbank, tmp_path, monkeypatch,
                                                                 register_entries, domain_datasets):
    """The real entries' derive steps, run by the catalog over the small record put in a mirror."""
    from polyseq_dna import datasets

    real = domain_datasets[name]
    mirror = tmp_path / "mirror"
    target = mirror / datasets.ECOLI_ANNOTATION.mirror_path
    target.parent.mkdir(parents=True)
    target.write_bytes(genbank.read_bytes())
    monkeypatch.setenv("POLYSEQ_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("POLYSEQ_OFFLINE", "1")
    small = dataclasses.replace(datasets.ECOLI_ANNOTATION, sha256=sha256_of(genbank), size=genbank.stat().st_size)
    entry = dataclasses.replace(real, name=f"toy_{name}", files=(small,))
    register_entries(entry)
    spec = entry.tasks[0]
    files = split_files(entry.name, spec.task, progress=False)
    assert set(files) == {"train", "val", "test"} and files["train"][0].parent == dataset_folder(entry)
    records = list(get_domain("dna").read(files["train"][0], strict=True, **spec.reader_options))
    assert records and all(isinstance(r.target, str) and r.target for r in records)
    if spec.task == "tag":
        assert all(len(r.target) == len(r.sample) and set(r.target) <= set("+-B.") for r in records)
    else:
        assert all(r.target == str(Seq(r.sample).translate(table=11)) for r in records)
