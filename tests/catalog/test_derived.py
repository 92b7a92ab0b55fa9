"""Derived datasets (files made from downloaded raw material), shared downloads, and data_options."""

from __future__ import annotations

import hashlib
import json

import pytest

from polyseq.catalog import (
    DatasetEntry,
    RemoteFile,
    TaskSpec,
    dataset_folder,
    fetch,
    files_folder,
    get_dataset,
    is_cached,
    split_files,
)
from polyseq.cli import main

RAW = b"id,text\n" + b"".join(b"%d,message number %d\n" % (i, i) for i in range(10))
SHA = hashlib.sha256(RAW).hexdigest()
CALLS: list[str] = []


def halves(files, out):
    """A derive step: the raw CSV's first 8 rows are train, the last 2 val."""
    CALLS.append(str(files))
    header, *rows = (files / "raw.csv").read_text().splitlines(keepends=True)
    (out / "train.csv").write_text(header + "".join(rows[:8]))
    (out / "val.csv").write_text(header + "".join(rows[8:]))


def derived_entry(url: str, name: str = "toy_derived", **options) -> DatasetEntry:
    return DatasetEntry(
        name=name, domain="text", description="derived from one raw CSV", licence="CC0", citation="nobody",
        files=(RemoteFile("raw.csv", url=url, sha256=SHA, size=len(RAW), mirror_path="toy/raw.csv"),),
        derive=halves, splits={"train": ["train.csv"], "val": ["val.csv"]},
        tasks=(TaskSpec("seq2seq", target="text", data_options={"target_domain": "text", "target_tokenizer": "char"}),
               TaskSpec("lm")),
        **options,
    )


@pytest.fixture(autouse=True)
def no_calls():
    CALLS.clear()


def test_derive_runs_once_over_the_verified_files(server, isolated_cache):
    base, files = server
    files.content["/raw.csv"] = RAW
    entry = derived_entry(f"{base}/raw.csv")
    assert not is_cached(entry)
    split = split_files(entry, "seq2seq", progress=False)
    folder = dataset_folder(entry)
    assert folder == isolated_cache / "datasets" / "toy_derived" / "derived" and is_cached(entry)
    assert split == {"train": [folder / "train.csv"], "val": [folder / "val.csv"]}
    assert (files_folder(entry) / "raw.csv").read_bytes() == RAW
    assert len(split["val"][0].read_text().splitlines()) == 3
    assert fetch(entry, progress=False) == folder and len(CALLS) == 1 and len(files.requests) == 1


def test_a_failing_derive_leaves_no_derived_folder(server):
    base, files = server
    files.content["/raw.csv"] = RAW

    def broken(files, out):
        (out / "train.csv").write_text("half")
        raise RuntimeError("derive failed")

    entry = derived_entry(f"{base}/raw.csv", name="toy_broken")
    entry = DatasetEntry(**{**entry.__dict__, "derive": broken})
    with pytest.raises(RuntimeError, match="derive failed"):
        fetch(entry, progress=False)
    assert not dataset_folder(entry).exists() and not is_cached(entry)


def test_two_entries_listing_one_file_share_its_download(server, register_entries):
    base, files = server
    files.content["/raw.csv"] = RAW
    url = f"{base}/raw.csv"
    register_entries(derived_entry(url, name="first_use"), derived_entry(url, name="second_use"))
    fetch("first_use", progress=False)
    fetch("second_use", progress=False)
    assert len(files.requests) == 1  # the second entry took the first one's verified copy
    second = files_folder(get_dataset("second_use")) / "raw.csv"
    assert second.read_bytes() == RAW and len(CALLS) == 2


def test_a_damaged_copy_in_another_entry_is_not_shared(server, register_entries):
    base, files = server
    files.content["/raw.csv"] = RAW
    url = f"{base}/raw.csv"
    register_entries(derived_entry(url, name="first_use"), derived_entry(url, name="second_use"))
    fetch("first_use", progress=False)
    damaged = files_folder(get_dataset("first_use")) / "raw.csv"
    damaged.unlink()
    damaged.write_bytes(RAW + b"tampered\n")
    fetch("second_use", progress=False)
    assert len(files.requests) == 2 and (files_folder(get_dataset("second_use")) / "raw.csv").read_bytes() == RAW


def test_datasets_info_shows_data_options_and_the_derive_step(register_entries, capsys):
    register_entries(derived_entry("http://127.0.0.1:9/raw.csv"))
    assert main(["datasets", "info", "toy_derived"]) == 0
    out = capsys.readouterr().out
    assert "data_options={'target_domain': 'text', 'target_tokenizer': 'char'}" in out
    assert "derived by:" in out and "halves" in out
    assert main(["datasets", "info", "toy_derived", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    seq2seq, lm = info["tasks"]
    assert seq2seq["data_options"] == {"target_domain": "text", "target_tokenizer": "char"} and lm["data_options"] == {}
    assert seq2seq["splits"] == {"train": ["train.csv"], "val": ["val.csv"]} and info["derive"].endswith(":halves")
