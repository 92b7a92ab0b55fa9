"""Pretrain -> fine-tune: init_from loads exactly the backbone, freezing freezes, export round-trips."""

import csv

import pytest
import pytorch_lightning as pl
import torch

from polyseq import ConfigError
from polyseq.cli import main
from polyseq.data.module import SequenceDataModule
from polyseq.training.module import SequenceModel, load_model

TINY = ["--model.d_model=16", "--model.n_layers=2", "--model.n_heads=2", "--model.dropout=0.0",
        "--data.batch_size=8", "--data.max_length=24", "--trainer.enable_progress_bar=false"]


@pytest.fixture
def pretrained(tmp_path, toy_csv):
    root = tmp_path / "pretrain"
    assert main(["fit", "--data.domain=toy", f"--data.train={toy_csv}", "--data.task=lm", *TINY, "--trainer.max_steps=4",
                 "--trainer.limit_val_batches=1", f"--trainer.default_root_dir={root}",
                 f"--trainer.logger.init_args.save_dir={root}"]) == 0
    return next(root.rglob("last.ckpt"))


def finetune(ckpt, toy_csv, **options):
    data = SequenceDataModule(domain="toy", train=str(toy_csv), task="classify", target="label", batch_size=8,
                              max_length=24, tokenizer_from=str(ckpt))
    return data, SequenceModel(init_from=str(ckpt), data_info=data.data_info, **options)


def test_init_from_loads_exactly_the_backbone_tensors_and_a_new_head(pretrained, toy_csv):
    source = load_model(str(pretrained))
    _, model = finetune(pretrained, toy_csv)
    assert source.backbone.state_dict().keys() == model.backbone.state_dict().keys()
    assert all(torch.equal(v, model.backbone.state_dict()[k]) for k, v in source.backbone.state_dict().items())
    assert model.backbone.causal is False  # the LM's weights now serve a bidirectional classifier
    assert model.hparams["init_from"] is None and model.hparams["backbone_options"]["n_layers"] == 2


def test_freezing_keeps_frozen_weights_unchanged_after_training(pretrained, toy_csv, tmp_path):
    data, model = finetune(pretrained, toy_csv, freeze="layers", freeze_layers=1, backbone_lr_ratio=0.5)
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    pl.Trainer(max_steps=3, logger=False, enable_checkpointing=False, enable_progress_bar=False,
               enable_model_summary=False, limit_val_batches=0, default_root_dir=tmp_path).fit(model, datamodule=data)
    after = model.backbone.state_dict()
    frozen = [k for k in before if k.startswith(("token_embedding", "blocks.0."))]
    trained = [k for k in before if k.startswith("blocks.1.") and k.endswith("weight")]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert trained and any(not torch.equal(before[k], after[k]) for k in trained)
    lrs = sorted({g["lr"] for g in model.optimizers().optimizer.param_groups})
    assert len(lrs) == 2  # the backbone at half the head's rate


def test_tokenizer_mismatch_is_a_clear_error(pretrained, tmp_path):
    other = tmp_path / "other.csv"  # other letters: a tokenizer trained on it differs from the pretrained one
    other.write_text("id,seq,label,a,b\n" + "".join(f"r{i},qrst{i % 3},{'pq'[i % 2]},0,0\n" for i in range(40)))
    data = SequenceDataModule(domain="toy", train=str(other), task="classify", target="label")
    with pytest.raises(ConfigError, match="tokenizer differs"):
        SequenceModel(init_from=str(pretrained), data_info=data.data_info)


def test_fit_with_init_from_reuses_the_tokenizer(pretrained, toy_csv, tmp_path):
    root = tmp_path / "finetune"
    assert main(["fit", "--data.domain=toy", f"--data.train={toy_csv}", "--data.task=classify", "--data.target=label",
                 *TINY, f"--model.init_from={pretrained}", "--model.freeze=backbone", "--trainer.max_steps=3",
                 "--trainer.limit_val_batches=1", f"--trainer.default_root_dir={root}",
                 f"--trainer.logger.init_args.save_dir={root}"]) == 0
    tuned = torch.load(next(root.rglob("last.ckpt")), weights_only=True)
    assert tuned["hyper_parameters"]["data_info"]["tokenizer"] == load_model(str(pretrained)).hparams["data_info"]["tokenizer"]


def test_export_then_load_predicts_like_the_checkpoint(pretrained, toy_csv, tmp_path):
    root = tmp_path / "clf"
    assert main(["fit", "--data.domain=toy", f"--data.train={toy_csv}", "--data.task=classify", "--data.target=label",
                 *TINY, "--trainer.max_steps=3", "--trainer.limit_val_batches=1", f"--trainer.default_root_dir={root}",
                 f"--trainer.logger.init_args.save_dir={root}"]) == 0
    ckpt = next(root.rglob("last.ckpt"))
    out = tmp_path / "exported"
    assert main(["export", "--ckpt", str(ckpt), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"model.safetensors", "config.json", "tokenizer.json"}
    for source, name in ((ckpt, "a.csv"), (out, "b.csv")):
        assert main(["predict", "--ckpt", str(source), "--input", str(toy_csv), "--out", str(tmp_path / name)]) == 0
    a = list(csv.DictReader(open(tmp_path / "a.csv")))
    b = list(csv.DictReader(open(tmp_path / "b.csv")))
    assert a == b and len(a) == 120


def test_embed_writes_arrays_ids_and_a_labelled_plot(pretrained, toy_csv, tmp_path):
    import numpy as np

    out = tmp_path / "emb.npy"
    plot = tmp_path / "emb.png"
    assert main(["embed", "--ckpt", str(pretrained), "--input", str(toy_csv), "--out", str(out), "--plot", str(plot)]) == 0
    x = np.load(out)
    assert x.shape == (120, 16) and np.isfinite(x).all()
    rows = list(csv.DictReader(open(tmp_path / "emb.ids.csv")))
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(120)]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000
    assert main(["embed", "--ckpt", str(pretrained), "--input", str(toy_csv), "--out", str(tmp_path / "emb.csv")]) == 0
    assert len(next(csv.reader(open(tmp_path / "emb.csv")))) == 2 + 16


def test_embed_plot_reads_text_targets_as_numbers_unless_they_are_class_labels():
    from polyseq.cli.embed_cmd import _numbers

    assert _numbers(["1.5", None, "-2"])[0] == 1.5 and _numbers(["1.5", None, "-2"])[2] == -2.0
    assert _numbers(["membrane", "1"]) is None and _numbers([None, None]) is None
