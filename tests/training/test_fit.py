"""`polyseq fit` end to end: every task with both backbones, checkpoints, predict, resume."""

import csv

import pytest
import torch

from polyseq.cli import main
from polyseq.training.module import load_model

TINY = ["--model.d_model=16", "--model.n_layers=1", "--model.n_heads=2", "--model.dropout=0.0",
        "--data.batch_size=8", "--data.max_length=24", "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false"]
TARGET = {"lm": [], "mlm": [], "classify": ["--data.target=label"], "regress": ["--data.target=[a,b]"]}


@pytest.mark.parametrize("backbone", ["transformer", "rnn"])
@pytest.mark.parametrize("task", ["lm", "mlm", "classify", "regress"])
def test_fast_dev_run_every_task_and_backbone(task, backbone, toy_csv, tmp_path):
    argv = ["fit", "--data.domain=toy", f"--data.train={toy_csv}", f"--data.task={task}", *TARGET[task],
            f"--model.backbone={backbone}", *TINY, "--trainer.fast_dev_run=true",
            f"--trainer.default_root_dir={tmp_path}"]
    assert main(argv) == 0


def fit(tmp_path, toy_csv, *extra, run="run"):
    root = tmp_path / run
    argv = ["fit", "--data.domain=toy", f"--data.train={toy_csv}", "--data.task=classify", "--data.target=label",
            *TINY, "--model.lr=3e-3", "--model.warmup_steps=5", f"--trainer.default_root_dir={root}",
            f"--trainer.logger.init_args.save_dir={root}", *extra]
    assert main(argv) == 0
    return root


def test_fit_logs_metrics_saves_a_self_contained_checkpoint_and_predicts(tmp_path, toy_csv):
    root = fit(tmp_path, toy_csv, "--trainer.max_steps=60", "--trainer.val_check_interval=30",
               "--trainer.check_val_every_n_epoch=null")
    [metrics_csv] = root.rglob("metrics.csv")
    rows = list(csv.DictReader(open(metrics_csv)))
    accs = [float(r["val/acc"]) for r in rows if r.get("val/acc")]
    assert len(accs) == 2 and accs[-1] > 0.8, accs  # 'xyz' marks the class: learnable in 60 steps
    ckpt = next(root.rglob("best-*.ckpt"))
    raw = torch.load(ckpt, weights_only=True)  # no pickle needed to read it
    info = raw["hyper_parameters"]["data_info"]
    assert info["labels"] == ["motif", "plain"] and info["tokenizer"]["type"] == "char"

    out = tmp_path / "preds.csv"
    assert main(["predict", "--ckpt", str(ckpt), "--input", str(toy_csv), "--out", str(out)]) == 0
    preds = list(csv.DictReader(open(out)))
    assert [p["id"] for p in preds] == [f"r{i}" for i in range(120)]
    assert set(preds[0]) >= {"prediction", "prob_motif", "prob_plain"}
    accuracy = sum(p["prediction"] == ("motif" if i % 2 else "plain") for i, p in enumerate(preds)) / len(preds)
    assert accuracy > 0.8
    assert abs(float(preds[0]["prob_motif"]) + float(preds[0]["prob_plain"]) - 1) < 1e-4


def test_resume_continues_step_optimizer_state_and_schedule(tmp_path, toy_csv):
    root = fit(tmp_path, toy_csv, "--trainer.max_steps=8", "--trainer.limit_val_batches=1",
               "--trainer.val_check_interval=4", "--trainer.check_val_every_n_epoch=null")
    [last_ckpt] = list(root.rglob("last.ckpt"))
    first = torch.load(last_ckpt, weights_only=True)
    assert first["global_step"] == 8
    root2 = fit(tmp_path, toy_csv, "--trainer.max_steps=12", "--trainer.limit_val_batches=1",
                "--trainer.val_check_interval=4", "--trainer.check_val_every_n_epoch=null",
                f"--ckpt_path={last_ckpt}", run="resumed")
    resumed = torch.load(next(p for p in root2.rglob("last.ckpt")), weights_only=True)
    assert resumed["global_step"] == 12
    state = resumed["optimizer_states"][0]["state"]
    assert all(int(s["step"]) == 12 for s in state.values())  # Adam moments continued, not restarted
    assert resumed["lr_schedulers"][0]["last_epoch"] == 12



def test_predict_rejects_a_missing_checkpoint(tmp_path, toy_csv, capsys):
    assert main(["predict", "--ckpt", str(tmp_path / "none.ckpt"), "--input", str(toy_csv), "--out", "x.csv"]) == 2
    assert "--ckpt " in (err := capsys.readouterr().err) and "none.ckpt: no such file" in err


def test_unknown_backbone_is_a_clear_error(toy_csv, tmp_path, capsys):
    argv = ["fit", "--data.domain=toy", f"--data.train={toy_csv}", "--model.backbone=transformr", *TINY,
            "--trainer.fast_dev_run=true", f"--trainer.default_root_dir={tmp_path}"]
    assert main(argv) == 2
    assert "no backbone 'transformr' (--model.backbone)" in capsys.readouterr().err


def test_loaded_model_gives_the_same_outputs(tmp_path, toy_csv):
    root = fit(tmp_path, toy_csv, "--trainer.max_steps=4", "--trainer.limit_val_batches=1")
    ckpt = next(root.rglob("last.ckpt"))
    model = load_model(str(ckpt))
    raw = torch.load(ckpt, weights_only=True)
    ids = torch.tensor([[5, 9, 10, 11, 12]])
    again = load_model(str(ckpt))
    assert torch.equal(model(ids), again(ids))
    assert all(torch.equal(model.state_dict()[k], v) for k, v in raw["state_dict"].items())



def test_resuming_mid_epoch_gives_the_same_weights_as_never_stopping(tmp_path, toy_csv):
    """Same step, optimiser state, schedule *and data position*: the resumed run ends bit for bit equal."""
    import pytorch_lightning as pl
    from pytorch_lightning.callbacks import ModelCheckpoint

    from polyseq.data.module import SequenceDataModule
    from polyseq.training.module import SequenceModel

    def run(root, ckpt_path=None, every=None):
        pl.seed_everything(0)
        data = SequenceDataModule(domain="toy", train=str(toy_csv), task="classify", target="label", batch_size=8)
        model = SequenceModel(d_model=16, n_layers=1, n_heads=2, dropout=0.0, warmup_steps=2, data_info=data.data_info)
        callbacks = [ModelCheckpoint(dirpath=root, every_n_train_steps=every, save_top_k=-1)] if every else []
        trainer = pl.Trainer(accelerator="cpu", max_steps=9, logger=False, enable_progress_bar=False,
                             enable_model_summary=False, limit_val_batches=0, callbacks=callbacks,
                             enable_checkpointing=bool(every), default_root_dir=root)
        trainer.fit(model, datamodule=data, ckpt_path=ckpt_path)
        return model.state_dict()

    straight = run(tmp_path / "a", every=5)  # 14 batches per epoch: step 5 is mid-epoch
    [mid] = [p for p in (tmp_path / "a").glob("*.ckpt") if "step=5" in p.name]
    assert torch.load(mid, weights_only=True)["loops"]["fit_loop"]["state_dict"]["combined_loader"] == [
        {"epoch": 0, "batches": 5}]
    resumed = run(tmp_path / "b", ckpt_path=str(mid))
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


def test_lm_logs_perplexity_and_bits(tmp_path, toy_csv):
    root = tmp_path / "lm"
    argv = ["fit", "--data.domain=toy", f"--data.train={toy_csv}", "--data.task=lm", *TINY, "--trainer.max_steps=3",
            "--trainer.val_check_interval=3", "--trainer.check_val_every_n_epoch=null",
            f"--trainer.default_root_dir={root}", f"--trainer.logger.init_args.save_dir={root}"]
    assert main(argv) == 0
    [row] = [r for r in csv.DictReader(open(next(root.rglob("metrics.csv")))) if r.get("val/loss")]
    loss = float(row["val/loss"])
    assert abs(float(row["val/ppl"]) - torch.exp(torch.tensor(loss)).item()) < 1e-3 * float(row["val/ppl"])
    assert abs(float(row["val/bits_per_token"]) - loss / 0.6931471805599453) < 1e-4
    assert float(row["val/bits_per_byte"]) > 0  # text samples: 1 char = 1 byte here, so bits/byte = bits/token
