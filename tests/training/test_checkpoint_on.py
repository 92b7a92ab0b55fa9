"""`fit --checkpoint_on`: the best checkpoint is chosen on a task metric, in the metric's own direction."""

import csv
import random

import pytest
import torch

from polyseq.cli import main

TINY = ["--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2", "--data.batch_size", "8",
        "--data.split_fractions", "[0.7, 0.3]", "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false", "--trainer.log_every_n_steps", "1", "--trainer.max_steps", "60"]


@pytest.fixture
def motifs(tmp_path, monkeypatch):
    """Labelled DNA: class 1 holds the motif GATTACA somewhere, class 0 does not (noisy enough to move)."""
    rng = random.Random(0)
    rows = []
    for i in range(120):
        seq = "".join(rng.choice("ACGT") for _ in range(30))
        label = i % 2
        if label:
            at = rng.randrange(23)
            seq = seq[:at] + "GATTACA" + seq[at + 7:]
        rows.append(f"{seq},{label}\n")
    (tmp_path / "motifs.csv").write_text("sequence,label\n" + "".join(rows))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / ".cache"))
    return ["--data.domain", "dna", "--data.train", "motifs.csv", "--data.task", "classify",
            "--data.target", "label", *TINY]


def best_of_run(run):
    with open(run / "metrics.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("val/loss")]
    state = torch.load(next((run / "checkpoints").glob("best-*.ckpt")), map_location="cpu", weights_only=True)
    (callback,) = [v for k, v in state["callbacks"].items() if k.startswith("BestAndLast")]
    return rows, callback


@pytest.mark.parametrize(("flags", "column", "pick"), [
    ([], "val/loss", min),
    (["--checkpoint_on", "val/auroc"], "val/auroc", max),
    (["--checkpoint_on", "val/acc", "--checkpoint_mode", "max"], "val/acc", max),
])
def test_the_best_checkpoint_is_the_best_validation_of_the_chosen_metric(motifs, tmp_path, flags, column, pick):
    assert main(["fit", *motifs, *flags]) == 0
    rows, callback = best_of_run(tmp_path / "runs" / "lightning_logs" / "version_0")
    values = [float(r[column]) for r in rows]
    assert len(set(values)) > 1  # the metric moved, so the choice means something
    assert callback["monitor"] == column
    assert callback["best_model_score"].item() == pytest.approx(pick(values))


def test_regression_checkpoints_on_r2_keep_the_highest(motifs, tmp_path):
    regress = [a.replace("classify", "regress") for a in motifs]  # the 0/1 label as a number
    assert main(["fit", *regress, "--checkpoint_on", "val/r2"]) == 0
    rows, callback = best_of_run(tmp_path / "runs" / "lightning_logs" / "version_0")
    values = [float(r["val/r2"]) for r in rows]
    assert len(set(values)) > 1 and callback["best_model_score"].item() == pytest.approx(max(values))


def test_a_metric_the_task_does_not_log_is_named_with_those_it_does(motifs, capsys):
    assert main(["fit", *motifs, "--checkpoint_on", "val/rmse"]) != 0
    err = capsys.readouterr().err
    assert "--checkpoint_on val/rmse: validation does not log it (it logs val/acc, val/auroc, val/f1, val/loss)" in err
    assert "Traceback" not in err
    assert main(["fit", *motifs, "--checkpoint_on", "val/kappa"]) != 0
    assert ("--checkpoint_on val/kappa: not a validation metric of the 'classify' task whose direction polyseq "
            "knows (val/loss, val/acc, val/f1, val/auroc); for a value logged otherwise, give --checkpoint_mode "
            "max or min") in capsys.readouterr().err
    assert main(["fit", *motifs, "--checkpoint_mode", "up"]) != 0
    assert "--checkpoint_mode must be auto, min or max, got 'up'" in capsys.readouterr().err
