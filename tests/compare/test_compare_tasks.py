"""`polyseq compare` takes every registered task in its grid, and ranks each by the task's own metric."""

import csv
import random
from pathlib import Path

import yaml

from polyseq.cli import main


def write_files(folder: Path) -> tuple[Path, Path]:
    rng = random.Random(0)
    tags, pairs = folder / "tags.csv", folder / "pairs.csv"
    with open(tags, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sequence", "labels"])
        for _ in range(60):
            seq = "".join(rng.choice("ACGT") for _ in range(30))
            w.writerow([seq, "".join("g" if b in "GC" else "a" for b in seq)])
    with open(pairs, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sequence", "target"])
        for _ in range(60):
            seq = "".join(rng.choice("ACGT") for _ in range(12))
            w.writerow([seq, seq[::-1]])
    return tags, pairs


def test_compare_grid_with_tag_and_seq2seq(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    tags, pairs = write_files(tmp_path)
    config = {
        "name": "tasks", "seeds": [0], "budget": {"steps": 3, "eval_every": 3},
        "defaults": {"data": {"max_length": 32, "batch_size": 8}, "model": {"d_model": 16, "n_layers": 1, "n_heads": 2}},
        "backbones": {"transformer": {}, "lstm": {"backbone": "rnn"}},
        "datasets": [
            {"name": "gc_tags", "task": "tag", "data": {"domain": "dna", "train": str(tags), "target": "labels",
                                                         "reader_options": {"per_base_label": True}}},
            {"name": "reverse", "task": "seq2seq", "data": {"domain": "dna", "train": str(pairs), "target": "target"}},
        ],
    }
    path = tmp_path / "tasks.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    assert main(["compare", str(path), "--output", str(tmp_path / "out")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "out" / "results.csv")))
    assert {(r["task"], r["backbone"], r["status"]) for r in rows} == {
        ("tag", "transformer", "finished"), ("tag", "lstm", "finished"),
        ("seq2seq", "transformer", "finished"), ("seq2seq", "lstm", "finished")}
    assert all(0 <= float(r["val_f1"]) <= 1 for r in rows if r["task"] == "tag")
    assert all(0 <= float(r["val_exact_match"]) <= 1 for r in rows if r["task"] == "seq2seq")
    report = (tmp_path / "out" / "report.md").read_text()
    assert "### dna — gc_tags (tag)" in report and "### dna — reverse (seq2seq)" in report
    assert "F1" in report.split("### dna — gc_tags (tag)")[1].split("###")[0]
    assert "exact match" in report.split("### dna — reverse (seq2seq)")[1].split("###")[0]
