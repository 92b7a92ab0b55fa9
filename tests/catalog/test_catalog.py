"""Entries, the registry hook, mirror resolution, processed files, offline errors and the CLI."""

from __future__ import annotations

import hashlib
import json

import pytest

from polyseq import plugins
from polyseq.catalog import DatasetEntry, RemoteFile, TaskSpec, fetch, get_dataset, is_cached, split_files
from polyseq.cli import main
from polyseq.errors import ConfigError, DatasetError, UnknownNameError

TEXT = b"label,text\nham,hello there\nspam,WIN NOW\n"
SHA = hashlib.sha256(TEXT).hexdigest()


def entry(url: str = "http://127.0.0.1:9/x.csv", name: str = "toy", **file_options) -> DatasetEntry:
    options = {"sha256": SHA, "size": len(TEXT), "mirror_path": "toy/messages.csv", **file_options}
    return DatasetEntry(
        name=name, domain="text", description="a toy dataset", licence="CC0", citation="nobody",
        files=(RemoteFile("messages.csv", url=url, **options),),
        tasks=(TaskSpec("classify", target="label", reader_options={"target": "label"}), TaskSpec("lm")),
    )


def upper(downloaded, out):
    out.write_bytes(downloaded.read_bytes().upper())


def test_entries_are_listed_with_their_origin(register_entries):
    register_entries(entry(), name="toy-plugin")
    record = plugins.registry().datasets["toy"]
    assert record.origin.plugin == "toy-plugin" and get_dataset("toy") is record.ref


def test_a_duplicate_dataset_is_a_failure_of_the_later_plugin(register_entries):
    register_entries(entry(), name="first")
    register_entries(entry(), name="second")
    reg = plugins.registry()
    assert reg.datasets["toy"].origin.plugin == "first"
    assert any(f.plugin == "second" and "already registered" in str(f.error) for f in reg.failures)


def test_unknown_dataset_suggests_a_close_name(register_entries):
    register_entries(entry())
    with pytest.raises(UnknownNameError, match="Did you mean 'toy'"):
        get_dataset("tyo")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"files": ()}, "either files"),
        ({"splits": {"training": ["x"]}}, "unknown split"),
        ({"derive": upper}, "must name the files derive writes"),
    ],
    ids=["no-files", "bad-split", "derive-without-splits"],
)
def test_invalid_entries_say_what_is_wrong(kwargs, message):
    base = entry()
    fields = {k: getattr(base, k) for k in ("name", "domain", "description", "licence", "citation", "files", "tasks")}
    with pytest.raises(ConfigError, match=message):
        DatasetEntry(**{**fields, **kwargs})


@pytest.mark.parametrize(
    ("data_options", "message"),
    [({"--data.target_domain": "text"}, "without the --data. prefix"), ({"target": "x"}, "TaskSpec's own field")],
    ids=["with-prefix", "own-field"],
)
def test_invalid_data_options_say_what_is_wrong(data_options, message):
    with pytest.raises(ConfigError, match=message):
        TaskSpec("seq2seq", data_options=data_options)


def test_an_entry_leaves_the_target_rule_to_the_task():
    # whether a task needs a target is the task object's rule (checked by the data module), not the catalog's
    assert entry().task("classify").target == "label"
    fields = {k: getattr(entry(), k) for k in ("name", "domain", "description", "licence", "citation", "files")}
    assert DatasetEntry(**fields, tasks=(TaskSpec("classify"), TaskSpec("tag"))).task_names == ["classify", "tag"]


def test_mirror_is_used_first_and_verified(tmp_path, monkeypatch, register_entries):
    mirror = tmp_path / "mirror"
    (mirror / "toy").mkdir(parents=True)
    (mirror / "toy" / "messages.csv").write_bytes(TEXT)
    monkeypatch.setenv("POLYSEQ_DATA_MIRROR", f"{tmp_path / 'absent'}:{mirror}")
    register_entries(entry())  # its URL leads nowhere: the mirror must be enough
    assert not is_cached(get_dataset("toy"))
    files = split_files("toy", "classify", progress=False)
    assert files["train"][0].read_bytes() == TEXT and is_cached(get_dataset("toy"))


def test_a_corrupt_mirror_copy_is_an_error_naming_it(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "toy").mkdir(parents=True)
    (mirror / "toy" / "messages.csv").write_bytes(TEXT + b"extra\n")
    monkeypatch.setenv("POLYSEQ_DATA_MIRROR", str(mirror))
    with pytest.raises(DatasetError) as err:
        fetch(entry(), progress=False)
    assert "messages.csv" in str(err.value) and SHA in str(err.value) and "POLYSEQ_DATA_MIRROR" in str(err.value)


def test_offline_without_mirror_names_the_url_and_the_variable(monkeypatch):
    monkeypatch.setenv("POLYSEQ_OFFLINE", "1")
    with pytest.raises(DatasetError) as err:
        fetch(entry(url="https://example.org/messages.csv"), progress=False)
    assert "https://example.org/messages.csv" in str(err.value) and "POLYSEQ_DATA_MIRROR" in str(err.value)


def test_download_then_cache(server, isolated_cache):
    base, files = server
    files.content["/x.csv"] = TEXT
    folder = fetch(entry(f"{base}/x.csv"), progress=False)
    assert (folder / "messages.csv").read_bytes() == TEXT and folder.parent == isolated_cache / "datasets"
    fetch(entry(f"{base}/x.csv"), progress=False)
    assert len(files.requests) == 1  # the second fetch uses the cache


def test_a_processed_file_is_verified_against_the_stored_checksum(server):
    base, files = server
    files.content["/x.csv"] = TEXT
    stored = hashlib.sha256(TEXT.upper()).hexdigest()
    processed = entry(f"{base}/x.csv", process=upper, mirror_sha256=stored)
    assert (fetch(processed, progress=False) / "messages.csv").read_bytes() == TEXT.upper()
    wrong = entry(f"{base}/x.csv", name="toy2", process=upper, mirror_sha256="1" * 64)
    with pytest.raises(DatasetError, match="bug"):
        fetch(wrong, progress=False)
    assert not any(p.name == "messages.csv" for p in (fetch.__globals__["dataset_folder"](wrong)).iterdir())


def test_cli_lists_describes_and_fetches(server, register_entries, capsys):
    base, files = server
    files.content["/x.csv"] = TEXT
    register_entries(entry(f"{base}/x.csv"))
    assert main(["datasets", "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if r["name"] == "toy")
    assert row["domain"] == "text" and row["tasks"] == ["classify", "lm"] and row["cached"] is False
    assert row["size"] == len(TEXT) and row["licence"] == "CC0"
    assert main(["datasets", "info", "toy"]) == 0
    out = capsys.readouterr().out
    assert f"{base}/x.csv" in out and SHA in out and "classify target='label'" in out
    assert main(["datasets", "fetch", "toy"]) == 0
    assert "1 fetched and verified (SHA-256)" in capsys.readouterr().out
    assert main(["datasets"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("toy "))
    assert " yes " in line
    assert main(["datasets", "info", "nope"]) == 2


def test_data_module_needs_a_domain_or_a_dataset():
    from polyseq.data.module import SequenceDataModule

    with pytest.raises(ConfigError, match="--data.dataset"):
        SequenceDataModule(train="x.txt")


def test_data_module_reads_a_dataset_by_name(server, register_entries):
    from polyseq.data.module import SequenceDataModule

    base, files = server
    files.content["/x.csv"] = TEXT * 1
    register_entries(entry(f"{base}/x.csv"))
    dm = SequenceDataModule(dataset="toy", task="classify", split_fractions=[0.5, 0.5])
    assert dm.domain_name == "text" and dm.target == "label"
    records = dm.read_split_records()
    assert sorted(r.target for rs in records.values() for r in rs) == ["ham", "spam"]
    with pytest.raises(ConfigError, match="no task 'regress'"):
        SequenceDataModule(dataset="toy", task="regress", target="x")
