"""The `count` task of examples/polyseq-count: registered by an installed package, trained and used
through the CLI exactly as a built-in task is."""

import csv
import statistics

import pytest

from polyseq.cli import main
from polyseq.cli.plugins_cmd import describe
from polyseq.compare.report import primary_metric
from polyseq.plugins import registry


@pytest.fixture(autouse=True)
def count_installed(require):
    require("task", "count", "polyseq-count")


def test_count_trains_with_polyseq_fit_and_predict_writes_counts(tmp_path, letters_csv, tiny):
    root = tmp_path / "run"
    argv = ["fit", "--data.domain=text", f"--data.train={letters_csv}", "--data.task=count", "--data.target=n_a",
            *tiny, "--model.lr=3e-3", "--model.warmup_steps=5", "--trainer.max_steps=80",
            "--trainer.val_check_interval=40", "--trainer.check_val_every_n_epoch=null",
            f"--trainer.default_root_dir={root}", f"--trainer.logger.init_args.save_dir={root}"]
    assert main(argv) == 0
    rows = [r for r in csv.DictReader(open(next(root.rglob("metrics.csv")))) if r.get("val/mae")]
    assert len(rows) == 2 and all(r["val/exact"] and r["val/rmse"] for r in rows)

    out = tmp_path / "counts.csv"
    ckpt = next(root.rglob("last.ckpt"))
    assert main(["predict", "--ckpt", str(ckpt), "--input", str(letters_csv), "--out", str(out)]) == 0
    preds = list(csv.DictReader(open(out)))
    truth = [int(r["n_a"]) for r in csv.DictReader(open(letters_csv))]
    assert len(preds) == len(truth) and set(preds[0]) >= {"prediction", "expected_count"}
    assert all(p["prediction"] == str(round(float(p["expected_count"]))) for p in preds)
    mae = statistics.mean(abs(float(p["expected_count"]) - t) for p, t in zip(preds, truth, strict=True))
    baseline = statistics.mean(abs(statistics.mean(truth) - t) for t in truth)  # the best constant guess, roughly
    assert mae < 0.3 * baseline, (mae, baseline)  # an 'a' is one token: the additive head counts them


def test_a_target_that_is_not_a_count_is_an_error_naming_the_record(tmp_path, letters_csv, tiny, capsys):
    argv = ["fit", "--data.domain=text", f"--data.train={letters_csv}", "--data.task=count", "--data.target=label",
            *tiny, "--trainer.fast_dev_run=true", f"--trainer.default_root_dir={tmp_path}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "letters.csv:2: target 'plain' of --data.target='label' is not a count (a whole number >= 0)" in err


def test_count_needs_one_target_column(tmp_path, letters_csv, tiny, capsys):
    base = ["fit", "--data.domain=text", f"--data.train={letters_csv}", "--data.task=count", *tiny,
            "--trainer.fast_dev_run=true", f"--trainer.default_root_dir={tmp_path}"]
    assert main(base) == 2
    assert "--data.task=count needs --data.target (the column/field with a count" in capsys.readouterr().err
    assert main([*base, "--data.target=[n_a,label]"]) == 2
    assert "--data.task=count counts one column" in capsys.readouterr().err


def test_compare_ranks_count_runs_by_val_mae_lower_first():
    rows = [{"val_loss": 1.0, "val_mae": 0.5}, {"val_loss": 0.9, "val_mae": 0.7}]
    assert primary_metric("count", rows) == ("val_mae", False)


def test_plugins_lists_count_with_its_distribution():
    [row] = [t for t in describe(registry())["tasks"] if t["name"] == "count"]
    assert row["plugin"] == "count" and row["distribution"].startswith("polyseq-count ")
    assert row["record_target"] == "a count (a whole number >= 0)" and row["generates"] is None
