"""Each offline dataset: same seed, same bytes; its files read through its domain's reader."""

from __future__ import annotations

import sys

import pytest

from polyseq import get_domain
from polyseq.catalog import fetch, get_dataset, sha256_of, split_files
from polyseq.domain import resolve

# (dataset, options that make the generator small for the test)
OFFLINE = [
    ("pydoc_topics", {}),
    ("python_stdlib", {"n": 20}),
    ("nci_properties", {"limit": 150}),
    ("smiles_canonicalize", {"limit": 150}),
    ("dna_motifs", {"n": 100}),
    ("sympy_formulas", {"n_per_kind": 5}),
    ("midi_scales", {}),
]


def generate(entry, folder, seed, options):
    resolve(entry.generator, entry.name)(folder, seed, **options)
    return {p.relative_to(folder).as_posix(): sha256_of(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("name", "options"), OFFLINE, ids=[n for n, _ in OFFLINE])
def test_same_seed_same_bytes_and_every_task_reads(name, options, tmp_path, domain_datasets):
    entry = get_dataset(name)
    first, again, other = (tmp_path / d for d in ("a", "b", "c"))
    for folder in (first, again, other):
        folder.mkdir()
    sums = generate(entry, first, 3, options)
    assert sums == generate(entry, again, 3, options)
    assert sums != generate(entry, other, 4, options)  # the seed matters
    domain = get_domain(entry.domain)
    for spec in entry.tasks:
        for split, patterns in entry.split_patterns(spec.task).items():
            paths = [p for pattern in patterns for p in sorted(first.glob(pattern))]
            assert paths, (spec.task, split)
            records = [r for p in paths[:5] for r in domain.read(p, strict=True, **spec.reader_options)]
            assert records, (spec.task, split)
            if spec.task in ("classify", "regress"):
                assert all(r.target is not None for r in records)


def test_an_offline_dataset_is_generated_once_into_the_cache(domain_datasets, isolated_cache):
    folder = fetch("dna_motifs", seed=1, progress=False)
    assert folder == isolated_cache / "datasets" / "dna_motifs" / "seed-1"
    stamp = (folder / "motifs.csv").stat().st_mtime_ns
    files = split_files("dna_motifs", "lm", seed=1, progress=False)
    assert [p.name for p in files["train"]] == ["genome.fa"] and (folder / "motifs.csv").stat().st_mtime_ns == stamp


def test_the_planted_motif_decides_the_label(domain_datasets, tmp_path):
    from polyseq_dna.datasets import TATA, generate_planted_motifs

    generate_planted_motifs(tmp_path, seed=0, n=200)
    rows = [line.split(",") for line in (tmp_path / "motifs.csv").read_text().split()[1:]]
    assert all(bool(TATA.search(seq)) == (label == "1") for seq, label in rows)


def test_offline_dataset_through_the_data_module(domain_datasets):
    from polyseq.data.module import SequenceDataModule

    dm = SequenceDataModule(dataset="dna_motifs", task="classify")
    records = dm.read_split_records()
    assert dm.domain_name == "dna" and set(records) == {"train", "val"}
    assert {r.target for r in records["train"]} == {"0", "1"}


def test_bach_chorales_says_what_to_install_without_music21(domain_datasets, monkeypatch):
    monkeypatch.setitem(sys.modules, "music21", None)  # as on a machine without the optional extra
    from polyseq.errors import DatasetError

    with pytest.raises(DatasetError, match="pip install music21"):
        fetch("bach_chorales", progress=False)
