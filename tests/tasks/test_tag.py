"""The tag task: labels follow tokens through offsets, predictions come back one per position."""

import csv

import numpy as np
import pytest

from polyseq.cli import main
from polyseq.data.datasets import IGNORE
from polyseq.errors import PolyseqError
from polyseq.tasks.tag import position_labels, token_labels

TINY = ["--model.d_model=32", "--model.n_layers=1", "--model.n_heads=2", "--model.dropout=0.0",
        "--data.batch_size=16", "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def fit_tag(tmp_path, train, *extra, root="run"):
    out = tmp_path / root
    argv = ["fit", "--data.domain=dna", f"--data.train={train}", "--data.task=tag", "--data.target=labels",
            "--data.reader_options={per_base_label: true}", *TINY, f"--trainer.default_root_dir={out}",
            f"--trainer.logger.init_args.save_dir={out}", *extra]
    assert main(argv) == 0
    return next(out.rglob("last.ckpt")), next(out.rglob("metrics.csv"))


def test_token_labels_take_the_label_at_each_span_start():
    labels = np.array([0, 0, 1, 1, 1, 2])
    assert token_labels(labels, [(0, 3), (3, 6)]).tolist() == [0, 1]  # non-overlapping 3-mers
    assert token_labels(labels, [(i, i + 3) for i in range(4)]).tolist() == [0, 0, 1, 1]  # overlapping
    assert token_labels(labels, [(0, 2), (2, 2), (2, 6)]).tolist() == [0, IGNORE, 1]  # an empty span is ignored


def test_position_labels_cover_every_position_whatever_the_tokens():
    preds = np.array([7, 8, 9])
    assert position_labels(preds, np.array([0, 3, 6]), 8).tolist() == [7, 7, 7, 8, 8, 8, 9, 9]
    assert position_labels(preds, np.array([0, 1, 2]), 5).tolist() == [7, 8, 9, 9, 9]  # overlapping k-mers
    assert position_labels(preds, np.array([2, 3, 4]), 5).tolist() == [7, 7, 7, 8, 9]  # leading dropped text
    assert position_labels(np.array([], dtype=int), np.array([], dtype=int), 3).tolist() == [0, 0, 0]


@pytest.mark.parametrize("tokenizer", [["--data.tokenizer=nucleotide"],
                                       ["--data.tokenizer=kmer", "--data.tokenizer_options={k: 3, overlap: false}"],
                                       ["--data.tokenizer=kmer", "--data.tokenizer_options={k: 3, overlap: true}"]],
                         ids=["nucleotide", "3mer", "3mer-overlapping"])
def test_tag_fit_then_predict_writes_one_label_per_base(tagged_csv, tmp_path, tokenizer):
    ckpt, metrics = fit_tag(tmp_path, tagged_csv, *tokenizer, "--data.max_length=64", "--trainer.max_steps=4",
                            "--trainer.val_check_interval=4", "--trainer.limit_val_batches=2")
    header = next(csv.reader(open(metrics)))
    assert {"val/acc", "val/f1", "val/f1_m", "val/f1_.", "train/f1"} <= set(header)
    out = tmp_path / "pred.csv"
    assert main(["predict", "--ckpt", str(ckpt), "--input", str(tagged_csv), "--out", str(out),
                 "-r", "per_base_label=true", "-r", "target=labels"]) == 0
    rows = list(csv.DictReader(open(out)))
    assert len(rows) == 160
    for row in rows:
        assert len(row["prediction"]) == len(row["target"]) == 60
        assert set(row["prediction"]) <= {"m", "."}


def test_tag_learns_a_planted_site_and_predicts_past_max_length(tagged_csv, tmp_path):
    """A model trained on 32-token windows labels whole 60-base records: the input is read window by window.

    A bidirectional LSTM learns the 7-base site from 144 records in 300 steps; a Transformer of this
    size overfits them first (val F1 0.66 at 300 steps), so this checks the task, not the architecture."""
    ckpt, metrics = fit_tag(tmp_path, tagged_csv, "--data.tokenizer=nucleotide", "--data.max_length=32",
                            "--model.backbone=rnn", "--model.n_layers=2", "--model.lr=3e-3", "--trainer.max_steps=300")
    rows = list(csv.DictReader(open(metrics)))
    f1 = [float(r["val/f1"]) for r in rows if r.get("val/f1")]
    assert f1[-1] > 0.8, f1
    out = tmp_path / "pred.csv"
    assert main(["predict", "--ckpt", str(ckpt), "--input", str(tagged_csv), "--out", str(out),
                 "-r", "per_base_label=true", "-r", "target=labels"]) == 0
    rows = list(csv.DictReader(open(out)))
    agree = np.mean([p == t for r in rows for p, t in zip(r["prediction"], r["target"], strict=True)])
    assert agree > 0.9  # also beyond position 32, which the model never saw in one window


@pytest.mark.parametrize(("rows", "message"), [
    ("a,ACGTACGT,....mm..\nb,ACGTACGT,..m.\n", "4 labels"),  # the reader does not check: the task does
    ("a,ACGTACGT,........\n", "single label"),
], ids=["misaligned", "one-label"])
def test_unusable_labels_are_a_clear_error(tmp_path, capsys, rows, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,sequence,labels\n" + rows * 6)
    argv = ["fit", "--data.domain=dna", f"--data.train={bad}", "--data.task=tag", "--data.target=labels",
            *TINY, "--trainer.max_steps=1",
            f"--trainer.default_root_dir={tmp_path}"]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    if message == "4 labels":
        assert "bad.csv:3" in err


def test_a_tokenizer_without_offsets_is_a_clear_error():
    from polyseq.tokenizers.offsets import token_offsets

    class NoOffsets:
        type_name = "toy.nooffsets"

    with pytest.raises(PolyseqError, match="'toy.nooffsets' gives no token offsets"):
        token_offsets(NoOffsets(), "ACGT")
