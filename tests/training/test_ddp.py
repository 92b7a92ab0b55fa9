"""Two processes on CPU (gloo): `polyseq fit --trainer.strategy ddp` trains and checkpoints.

DDP re-launches the command line in child processes, so it runs as its own `polyseq` process here
(inside pytest, a child's failure could be lost while the parent exits 0).
"""

import os
import random
import subprocess
import sys

import torch


def test_ddp_two_cpu_processes_train_a_few_steps(tmp_path):
    rng = random.Random(0)
    fasta = tmp_path / "proteins.fasta"
    fasta.write_text("".join(f">p{i}\n{''.join(rng.choice('ACDEFGHIKLMNPQRSTVWY') for _ in range(60))}\n" for i in range(64)))
    env = dict(os.environ, POLYSEQ_CACHE=str(tmp_path / "cache"), OMP_NUM_THREADS="1")
    argv = [sys.executable, "-m", "polyseq", "fit", "--data.domain=protein", f"--data.train={fasta}",
            "--data.task=lm", "--data.max_length=32", "--data.batch_size=4", "--model.d_model=16",
            "--model.n_layers=1", "--model.n_heads=2", "--trainer.strategy=ddp", "--trainer.devices=2",
            "--trainer.max_steps=3", "--trainer.limit_val_batches=1", "--trainer.enable_progress_bar=false",
            f"--trainer.default_root_dir={tmp_path / 'run'}", f"--trainer.logger.init_args.save_dir={tmp_path / 'run'}"]
    result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in result.stderr  # the second process really ran
    last = next((tmp_path / "run").rglob("last.ckpt"))
    assert torch.load(last, weights_only=True)["global_step"] == 3
