"""A run stopped by --trainer.max_steps in the middle of an epoch validates and checkpoints its last step."""

import csv
import random

import pytest
import torch

from polyseq.cli import main

TINY = ["--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2", "--data.batch_size", "8",
        "--data.split_fractions", "[0.8, 0.2]", "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false", "--trainer.log_every_n_steps", "1"]


@pytest.mark.parametrize("max_steps", [13, 10])  # 13: mid-epoch (10 batches per epoch); 10: at an epoch end
def test_the_last_step_is_validated_and_saved(tmp_path, monkeypatch, max_steps):
    rng = random.Random(0)
    (tmp_path / "seqs.fa").write_text("".join(f">s{i}\n{''.join(rng.choice('ACGT') for _ in range(40))}\n"
                                              for i in range(100)))  # 80 train records: 10 batches of 8
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / ".cache"))
    assert main(["fit", "--data.domain", "dna", "--data.train", "seqs.fa", "--data.task", "mlm", *TINY,
                 "--trainer.max_steps", str(max_steps)]) == 0
    run = tmp_path / "runs" / "lightning_logs" / "version_0"
    with open(run / "metrics.csv", newline="") as f:
        validated = [int(r["step"]) for r in csv.DictReader(f) if r.get("val/loss")]
    assert validated[-1] == max_steps - 1 and validated.count(max_steps - 1) == 1  # Lightning logs step - 1
    last = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["global_step"] == max_steps
