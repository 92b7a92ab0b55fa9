"""A dataset file changed in the cache after it was verified is never used: every use re-checks it
cheaply (size and time against the stamp, the SHA-256 when they differ)."""

from __future__ import annotations

import os

import pytest

from polyseq.catalog import dataset_folder, fetch, files_folder
from polyseq.catalog.stamps import check_file, folder_changes, stamp_path
from polyseq.cli import main

from .test_catalog import TEXT, entry
from .test_derived import RAW, derived_entry


def cached_file(server) -> tuple:
    base, files = server
    files.content["/x.csv"] = TEXT
    toy = entry(f"{base}/x.csv")
    path = fetch(toy, progress=False) / "messages.csv"
    return toy, path, files


def test_a_file_replaced_in_the_cache_is_fetched_again_with_a_warning(server):
    toy, path, files = cached_file(server)
    path.write_bytes(TEXT.replace(b"ham", b"egg"))  # same size, other bytes
    with pytest.warns(UserWarning, match=r"messages.csv.*changed since it was verified.*fetching it again"):
        fetch(toy, progress=False)
    assert path.read_bytes() == TEXT and len(files.requests) == 2


def test_a_touched_file_with_the_same_bytes_is_kept_and_restamped(server):
    toy, path, files = cached_file(server)
    assert not check_file(path, None).hashed  # the stamp written on download answers
    os.utime(path, ns=(1, 1))
    first = check_file(path, None)
    assert first.ok and first.hashed
    assert check_file(path, None).hashed is False  # restamped: the next use is a stat again
    fetch(toy, progress=False)
    assert len(files.requests) == 1


def test_without_a_published_checksum_the_verified_bytes_are_the_reference(server):
    base, files = server
    files.content["/x.csv"] = TEXT
    toy = entry(f"{base}/x.csv", name="nosum", sha256=None)
    with pytest.warns(UserWarning, match="no published checksum"):
        path = fetch(toy, progress=False) / "messages.csv"
    path.write_bytes(b"label,text\nspam,changed\n")
    with pytest.warns(UserWarning) as caught:  # and, fetched again, its missing checksum once more
        fetch(toy, progress=False)
    assert any("changed since it was verified" in str(w.message) for w in caught)
    assert path.read_bytes() == TEXT


def test_a_damaged_stamp_means_hashing_again_not_an_error(server):
    toy, path, files = cached_file(server)
    stamp_path(path).write_text("{not json")
    result = check_file(path, toy.files[0].sha256)
    assert result.ok and result.hashed


def test_datasets_fetch_says_what_it_checked(server, register_entries, capsys):
    base, files = server
    files.content["/x.csv"] = TEXT
    register_entries(entry(f"{base}/x.csv"))
    assert main(["datasets", "fetch", "toy"]) == 0
    assert "1 fetched and verified (SHA-256)" in capsys.readouterr().out
    assert main(["datasets", "fetch", "toy"]) == 0
    assert "1 already cached, size and time unchanged since verified" in capsys.readouterr().out
    assert main(["datasets", "fetch", "toy", "--verify"]) == 0
    assert "1 already cached, SHA-256 checked now" in capsys.readouterr().out
    path = files_folder(entry(f"{base}/x.csv")) / "messages.csv"
    path.write_bytes(TEXT.upper())
    with pytest.warns(UserWarning, match="changed since it was verified"):
        assert main(["datasets", "fetch", "toy"]) == 0
    assert "1 fetched and verified" in capsys.readouterr().out and path.read_bytes() == TEXT


def test_a_changed_generated_dataset_is_generated_again(domain_datasets):
    folder = fetch("dna_motifs", seed=3, progress=False)
    original = (folder / "motifs.csv").read_bytes()
    (folder / "motifs.csv").write_bytes(original.replace(b",1\n", b",0\n", 5))
    with pytest.warns(UserWarning, match=r"dna_motifs.*motifs.csv has other bytes.*making it again"):
        assert fetch("dna_motifs", seed=3, progress=False) == folder
    assert (folder / "motifs.csv").read_bytes() == original
    (folder / "extra.fa").write_text(">x\nACGT\n")  # would be picked up by a *.fa pattern
    with pytest.warns(UserWarning, match="extra.fa was added"):
        fetch("dna_motifs", seed=3, progress=False)
    assert not (folder / "extra.fa").exists() and folder_changes(folder) == []


def test_a_changed_derived_file_is_derived_again(server):
    base, files = server
    files.content["/raw.csv"] = RAW
    toy = derived_entry(f"{base}/raw.csv", name="toy_stamped")
    folder = fetch(toy, progress=False)
    (folder / "val.csv").write_text("id,text\n0,not what was derived\n")
    with pytest.warns(UserWarning, match="val.csv has other bytes"):
        fetch(toy, progress=False)
    assert (dataset_folder(toy) / "val.csv").read_text().count("message number") == 2
    assert len(files.requests) == 1  # the raw file in the cache was still good
