"""Baselines for the per-position `tag` task: majority and the sliding-window logistic regression.

The data: random DNA where a base is labelled "g" when at least two of it and its two neighbours
are G or C, else "a" - a label no single base decides, that the window around it does (linearly).
"""

import csv
import json
import random

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from polyseq.baselines import fit_on, make_baseline, output_for, score
from polyseq.baselines.run import data_module, prediction_columns
from polyseq.cli import main
from polyseq.errors import ConfigError


def neighbourhood_label(seq):
    gc = [b in "GC" for b in seq]
    votes = [sum(gc[j] for j in (i - 1, i, i + 1) if 0 <= j < len(seq)) for i in range(len(seq))]
    return "".join("g" if v >= 2 else "a" for v in votes)


@pytest.fixture
def tags_csv(tmp_path):
    rng = random.Random(0)
    path = tmp_path / "tags.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sequence", "labels"])
        for _ in range(120):
            seq = "".join(rng.choice("ACGT") for _ in range(rng.randint(20, 60)))
            w.writerow([seq, neighbourhood_label(seq)])
    return path


def data(tags_csv):
    return dict(domain="dna", train=str(tags_csv), task="tag", target="labels", split_fractions=[0.7, 0.3],
                reader_options={"per_base_label": True})


def fitted(name, tags_csv, **options):
    return fit_on(data_module(data(tags_csv)), make_baseline(name, options))


def val_truth(f):
    """The val split's labels per position, read from the records themselves (not from the task's targets)."""
    names = sorted({x for r in f.records["train"] for x in r.target})
    return names, np.array([names.index(x) for r in f.records["val"] for x in r.target])


def test_the_tag_task_asks_baselines_for_labels_per_position():
    from polyseq.tasks import get_task

    assert output_for(get_task("tag")) == "labels"
    assert output_for(get_task("classify")) == "classes"


def test_the_window_beats_majority_and_its_metrics_are_the_usual_ones(tags_csv):
    window = fitted("window_logreg", tags_csv, window=5, kmer=2)
    names, truth = val_truth(window)
    probs = np.concatenate(window.baseline.predict([r.sample for r in window.records["val"]]))
    assert probs.shape == (len(truth), 2) and np.allclose(probs.sum(1), 1.0)
    pred = probs.argmax(1)
    metrics = score(window, "val")
    assert set(metrics) == {"loss", "acc", "f1", "f1_a", "f1_g"}  # the tag task's own metric names
    assert metrics["acc"] == pytest.approx(accuracy_score(truth, pred))
    assert metrics["f1"] == pytest.approx(f1_score(truth, pred, average="macro"))
    assert metrics["f1_g"] == pytest.approx(f1_score(truth, pred, average=None)[names.index("g")])
    assert metrics["loss"] == pytest.approx(float(-np.log(probs[np.arange(len(truth)), truth]).mean()))

    majority = score(fitted("majority", tags_csv), "val")
    assert metrics["f1"] > 0.95 and metrics["acc"] > 0.95
    assert metrics["f1"] > majority["f1"] + 0.4

    one_base = score(fitted("window_logreg", tags_csv, window=1, kmer=0), "val")  # the base alone does not decide
    assert one_base["acc"] < metrics["acc"] - 0.1


def test_majority_labels_every_position_with_the_most_frequent_train_label(tags_csv):
    f = fitted("majority", tags_csv)
    names, truth = val_truth(f)
    train = np.array([names.index(x) for r in f.records["train"] for x in r.target])
    freq = np.bincount(train, minlength=len(names)) / len(train)
    top = int(freq.argmax())
    metrics = score(f, "val")
    p = float((truth == top).mean())  # precision of the constant answer; its recall is 1
    assert metrics["acc"] == pytest.approx(p)
    assert metrics["f1"] == pytest.approx(2 * p / (1 + p) / len(names))  # the other labels' F1 is 0
    assert metrics["f1"] == pytest.approx(f1_score(truth, np.full_like(truth, top), average="macro", zero_division=0))
    assert metrics["loss"] == pytest.approx(float(-np.log(freq[truth]).mean()))


def test_window_subsamples_training_positions_with_its_seed(tags_csv):
    a = fitted("window_logreg", tags_csv, max_train_positions=300)
    b = fitted("window_logreg", tags_csv, max_train_positions=300)
    assert a.baseline.n_train_positions == 300
    assert np.array_equal(a.baseline.model.coef_, b.baseline.model.coef_)


def test_window_options_are_checked():
    for options, words in (({"window": 4}, "window must be an odd"), ({"kmer": -1}, "kmer must be"),
                           ({"max_train_positions": 0}, "max_train_positions"), ({"widow": 3}, r"no option\(s\) widow")):
        with pytest.raises(ConfigError, match=words):
            make_baseline("window_logreg", options)


def test_the_window_reads_list_samples_and_unseen_elements():
    from polyseq.baselines import WindowLinear

    class Lists(WindowLinear):
        name = "lists"

    samples = [["x", "y", "x", "z"], ["y", "y", "x"]]
    model = Lists(0, window=3, kmer=0)
    model.fit(samples, [np.array([0, 1, 0, 1]), np.array([1, 1, 0])], "labels")
    out = model.predict([["x", "q"], "xy"])  # "q" and the characters of a string were not seen in training
    assert [p.shape for p in out] == [(2, 2), (2, 2)]


def test_polyseq_baseline_writes_one_label_per_position(tags_csv, tmp_path, capsys):
    out = tmp_path / "tags_pred.csv"
    assert main(["baseline", "window_logreg", "--data.domain", "dna", f"--data.train={tags_csv}", "--data.task", "tag",
                 "--data.target", "labels", "--data.reader_options", "{per_base_label: true}", "--input", str(tags_csv),
                 "--out", str(out), "--output-dir", str(tmp_path / "b"), "-b", "window=5"]) == 0
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "prediction", "target"]  # the columns `polyseq predict` writes for a tag model
    assert all(len(r["prediction"]) == len(r["target"]) and set(r["prediction"]) <= {"a", "g"} for r in rows)
    assert np.mean([p == t for r in rows for p, t in zip(r["prediction"], r["target"])]) > 0.95
    printed = dict(line.split("\t") for line in capsys.readouterr().out.splitlines() if "\t" in line)
    assert float(printed["val/f1"]) > 0.95
    assert json.loads((tmp_path / "b" / "baseline.json").read_text())["baseline"]["options"]["window"] == 5


def test_prediction_columns_join_multi_character_labels_with_spaces(tags_csv):
    import dataclasses

    f = fitted("majority", tags_csv)
    f.info = dataclasses.replace(f.info, labels=("AA", "GG"))
    rows = prediction_columns(f, ["ACG"])
    assert rows[0]["prediction"].split(" ") in (["AA"] * 3, ["GG"] * 3)
