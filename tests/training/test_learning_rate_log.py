"""`polyseq fit` logs the learning rate each logged step uses (`train/lr`), with or without a logger."""

import csv
import math
import random

import pytest

from polyseq.cli import main

TINY = ["--data.domain", "dna", "--data.task", "lm", "--data.max_length", "16", "--data.batch_size", "4",
        "--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2",
        "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


@pytest.fixture
def genome(tmp_path, monkeypatch):
    rng = random.Random(0)
    path = tmp_path / "g.fa"
    path.write_text("".join(f">r{i}\n{''.join(rng.choice('ACGT') for _ in range(60))}\n" for i in range(40)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / ".cache"))
    return path


def _expected(step: int, lr: float, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warm-up over `warmup` steps, then a half cosine from lr down to lr * min_ratio at `total`."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / (total - warmup)
    return lr * (min_ratio + (1 - min_ratio) * (1 + math.cos(math.pi * progress)) / 2)


def test_the_logged_rate_follows_warmup_then_cosine_decay(genome, tmp_path):
    # 30 steps: the model caps warm-up at total // 10 + 1 = 4 steps
    assert main(["fit", "--data.train", genome.name, *TINY, "--model.lr", "0.01", "--model.warmup_steps", "10",
                 "--model.min_lr_ratio", "0.2", "--trainer.max_steps", "30", "--trainer.log_every_n_steps", "3"]) == 0
    with open(tmp_path / "runs" / "lightning_logs" / "version_0" / "metrics.csv", newline="") as f:
        logged = {int(r["step"]): float(r["train/lr"]) for r in csv.DictReader(f) if r.get("train/lr")}
    assert sorted(logged) == list(range(0, 30, 3))
    for step, lr in logged.items():
        assert lr == pytest.approx(_expected(step, 0.01, 4, 30, 0.2), rel=1e-6), step
    assert logged[3] == pytest.approx(0.01) and logged[27] < 0.01 * 0.25


def test_a_fit_without_a_logger_still_runs(genome, tmp_path):
    # Lightning's LearningRateMonitor raises without a logger; polyseq's callback stays silent
    assert main(["fit", "--data.train", genome.name, *TINY, "--trainer.max_steps", "2", "--trainer.logger", "false"]) == 0
    assert not (tmp_path / "runs" / "lightning_logs").exists()


def test_adam_beta2_reaches_the_optimiser(genome):
    from polyseq.training.cli import build

    cli = build(["--data.train", genome.name, *TINY, "--model.adam_beta2", "0.99"], run=False)
    cli.datamodule.prepare_data()
    optimizer = cli.model.configure_optimizers()["optimizer"]
    assert {g["betas"] for g in optimizer.param_groups} == {(0.9, 0.99)}
    assert cli.model.hparams["adam_beta2"] == 0.99  # in the checkpoint's hyper-parameters
