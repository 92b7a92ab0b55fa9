"""`polyseq plot RUN_DIR`: curves of a finished run; confusion matrix + ROC or predicted vs true, with the
numbers drawn checked against the run's own validation metrics and an independent computation."""

import csv
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from polyseq.cli import main
from polyseq.views.run_plots import Evaluation, plot_classes, plot_run

# one epoch exactly (train batches = max_steps), so the best checkpoint is the one validated in metrics.csv
TINY = ["--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2", "--data.batch_size", "16",
        "--data.split_fractions", "[0.7, 0.3]", "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false", "--trainer.log_every_n_steps", "1"]
MOTIFS = {"a": "ACGTACGT", "b": "TTTTGGGG", "c": "CCCCAAAA"}


def _fit(folder: Path, data: Path, *args: str) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv("POLYSEQ_CACHE", str(folder / ".cache"))
        assert main(["fit", "--data.domain", "dna", "--data.train", data.name, *TINY, *args]) == 0
    return folder / "runs" / "lightning_logs" / "version_0"


@pytest.fixture(scope="module")
def classify_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("classify")
    rng = random.Random(0)
    rows = [(MOTIFS[y] + "".join(rng.choice("ACGT") for _ in range(4)), y) for y in "abc" * 30]
    (folder / "labels.csv").write_text("sequence,label\n" + "".join(f"{s},{y}\n" for s, y in rows))
    # 90 records: 63 train = 4 batches of 16
    return _fit(folder, folder / "labels.csv", "--data.task", "classify", "--data.target", "label", "--trainer.max_steps", "4")


@pytest.fixture(scope="module")
def regress_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("regress")
    rng = random.Random(1)
    seqs = ["".join(rng.choice("ACGT") for _ in range(12)) for _ in range(60)]
    (folder / "values.csv").write_text("sequence,y\n" + "".join(f"{s},{s.count('A') + 0.5 * s.count('C')}\n" for s in seqs))
    # 60 records: 42 train = 3 batches of 16
    return _fit(folder, folder / "values.csv", "--data.task", "regress", "--data.target", "y", "--trainer.max_steps", "3")


def _val_metrics(run: Path) -> dict[str, float]:
    with open(run / "metrics.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("val/loss")]
    assert len(rows) == 1, "the fit should validate once"
    return {k: float(v) for k, v in rows[0].items() if k.startswith("val/") and v}


def _optional(run: Path) -> set[str]:
    """The plots of a fit's logged columns: the learning rate (every fit logs `train/lr`) and tokens per
    second (only when a run has a timed window of batches)."""
    header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
    assert "train/lr" in header
    return {"learning_rate.png"} | ({"throughput.png"} if any("tokens_per_s" in c for c in header) else set())


def _is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and 3_000 < path.stat().st_size < 400_000


def _auroc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney: the chance a positive scores above a negative (ties count a half)."""
    pos, neg = scores[positive], scores[~positive]
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg)))


def test_a_classifier_run_gives_curves_a_confusion_matrix_matching_val_acc_and_roc(classify_run, capsys, monkeypatch):
    monkeypatch.chdir(classify_run.parents[2])
    assert main(["plot", str(classify_run.parent)]) == 0  # the parent: its newest (only) version is plotted
    out, err = capsys.readouterr()
    files = [Path(line) for line in out.splitlines()]
    assert {f.name for f in files} == {"loss.png", "metrics.png", "confusion_matrix.png", "roc.png", *_optional(classify_run)}
    assert all(f.parent == classify_run / "plots" and _is_png(f) for f in files)
    assert "plotting its only run, version_0" in err
    assert "no learning-rate column" not in err

    _, plots = plot_run(classify_run, classify_run / "again")
    numbers = {p.path.name: p.numbers for p in plots}
    counts = numbers["confusion_matrix.png"]["counts"]
    info = json.loads(next((classify_run.parents[2] / ".cache" / "tokens").glob("*/info.json")).read_text())
    assert counts.shape == (3, 3) and counts.sum() == info["counts"]["val"] == 27
    val = _val_metrics(classify_run)
    assert numbers["confusion_matrix.png"]["accuracy"] == pytest.approx(val["val/acc"], abs=1e-6)
    assert set(numbers["roc.png"]["auroc"]) == {"a", "b", "c"}
    assert numbers["roc.png"]["macro_auroc"] == pytest.approx(val["val/auroc"], abs=1e-4)
    assert numbers["loss.png"]["val/loss"] == [(3.0, pytest.approx(val["val/loss"]))]
    assert numbers["metrics.png"]["val/f1"] == [(3.0, pytest.approx(val["val/f1"]))]


def test_a_regressor_run_draws_predicted_vs_true_with_the_r2_and_rmse_of_its_validation(regress_run, capsys):
    assert main(["plot", str(regress_run), "--out", str(regress_run.parent / "figures")]) == 0
    files = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert {f.name for f in files} == {"loss.png", "metrics.png", "predicted_vs_true.png", *_optional(regress_run)}
    assert files[-1].name == "predicted_vs_true.png"
    assert all(_is_png(f) for f in files)

    _, plots = plot_run(regress_run, regress_run.parent / "figures")
    drawn = plots[-1].numbers["y"]
    val = _val_metrics(regress_run)
    assert drawn["n"] == 18
    assert drawn["r2"] == pytest.approx(val["val/r2"], abs=1e-4)
    assert drawn["rmse"] == pytest.approx(val["val/rmse"], rel=1e-4)


def test_binary_roc_and_confusion_counts_match_an_independent_computation(tmp_path):
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 2, 50)
    p1 = np.clip(0.3 * targets + rng.random(50) * 0.7, 0, 1)
    ev = Evaluation("classes", ("neg", "pos"), np.stack([1 - p1, p1], 1), targets, tmp_path / "x.ckpt")
    confusion, roc = plot_classes(ev, tmp_path)
    predicted = (p1 > 1 - p1).astype(int)
    expected = np.array([[np.sum((targets == t) & (predicted == p)) for p in (0, 1)] for t in (0, 1)])
    assert (confusion.numbers["counts"] == expected).all()
    assert list(roc.numbers["auroc"]) == ["pos"]
    assert roc.numbers["auroc"]["pos"] == pytest.approx(_auroc(p1, targets == 1), abs=1e-6)
    assert _is_png(confusion.path) and _is_png(roc.path)


def test_learning_rate_and_throughput_columns_get_their_plots_and_an_lm_run_is_curves_only(tmp_path, capsys):
    run = tmp_path / "version_3"
    run.mkdir()
    (run / "config.yaml").write_text("data:\n  domain: dna\n  task: lm\n  train: missing.fa\n")
    (run / "metrics.csv").write_text(
        "epoch,lr-AdamW,step,train/loss_step,train/tokens_per_s,val/loss,val/bpb\n"
        + "".join(f"0,{1e-3 * (s + 1) / 4},{s},{3 - 0.1 * s},{1000 + s},,\n" for s in range(4))
        + "0,,3,,,2.5,1.9\n")
    assert main(["plot", str(run)]) == 0  # no checkpoint and no data needed: an lm run draws curves only
    out, err = capsys.readouterr()
    assert [Path(f).name for f in out.splitlines()] == ["loss.png", "learning_rate.png", "throughput.png", "metrics.png"]
    assert "'lm' run: curves only" in err
    _, plots = plot_run(run)
    lr, throughput = plots[1].numbers, plots[2].numbers
    assert lr == {"lr-AdamW": [(float(s), 1e-3 * (s + 1) / 4) for s in range(4)]}
    assert throughput == {"train/tokens_per_s": [(float(s), 1000.0 + s) for s in range(4)]}
    assert set(plots[0].numbers) == {"train/loss_step", "val/loss"}


def test_errors_are_one_line_and_name_the_folder(classify_run, tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path}: not a polyseq run" in err

    logs = tmp_path / "lightning_logs"
    shutil.copytree(classify_run, logs / "version_0")
    (logs / "version_1").mkdir()  # a newer run that stopped before its first checkpoint
    for name in ("config.yaml", "metrics.csv"):
        shutil.copy(classify_run / name, logs / "version_1" / name)
    assert main(["plot", str(logs)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "version_1: no checkpoint" in err and "--curves-only" in err
    assert main(["plot", str(logs), "--curves-only"]) == 0
    assert "plotting the newest of 2 runs, version_1" in capsys.readouterr().err
