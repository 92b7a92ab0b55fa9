"""`polyseq predict | embed | generate` under Lightning's Trainer.predict: the v0 fixtures reproduce exactly,
results come back in input order (several processes included), --trainer.* flags work and fail in one line."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from polyseq.cli import main

V0 = Path(__file__).parents[1] / "fixtures" / "v0_checkpoints"
ROWS = V0 / "dna_rows.csv"
QUIET = ["--trainer.enable_progress_bar", "false"]


def ckpt(name: str) -> Path:
    path = V0 / f"{name}.ckpt"
    if not path.exists():
        pytest.fail(f"{path} is missing: `*.ckpt` is in .gitignore, so the v0 fixture checkpoints must be added "
                    "with `git add -f tests/fixtures/v0_checkpoints/*.ckpt`", pytrace=False)
    return path


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def same_rows(got: list[dict[str, str]], expected: list[dict[str, str]]) -> None:
    """Every column equal but `id`, which holds the absolute path the fixture was made from; numbers
    within a few float32 ulps (1e-6 relative: another CPU's matmul kernels may round the last bit
    differently, and did on one machine, by one ulp in one row of 20)."""
    assert [r["id"].rsplit("/", 1)[-1] for r in got] == [r["id"].rsplit("/", 1)[-1] for r in expected]
    assert [list(r) for r in got] == [list(r) for r in expected]
    for g, e in zip(got, expected):
        for key in g.keys() - {"id"}:
            try:
                number = float(e[key])
            except ValueError:
                assert g[key] == e[key], key
            else:
                assert float(g[key]) == pytest.approx(number, rel=1e-6, abs=1e-7), key


LABEL_FORMS = {
    "short": ["-r", "target=label"],
    "mapping": ["--data.reader_options", "{target: label}"],
    "dotted": ["--data.reader_options.target=label"],
}


@pytest.mark.parametrize("form", list(LABEL_FORMS), ids=list(LABEL_FORMS))
def test_predict_reproduces_the_v0_classifier_predictions(form, tmp_path):
    out = tmp_path / "preds.csv"
    assert main(["predict", "--ckpt", str(ckpt("dna_classify")), "--input", str(ROWS), *LABEL_FORMS[form],
                 "--out", str(out), *QUIET]) == 0
    same_rows(read(out), read(V0 / "dna_classify_predictions.csv"))


def test_predict_reproduces_the_v0_regressor_predictions(tmp_path, capsys):
    out = tmp_path / "preds.csv"
    assert main(["predict", "--ckpt", str(ckpt("dna_regress")), "--input", str(ROWS), "-r", "target=label",
                 "--out", str(out), *QUIET]) == 0
    same_rows(read(out), read(V0 / "dna_regress_predictions.csv"))
    assert capsys.readouterr().err.endswith(f"20 predictions written to {out}\n")


def test_generate_reproduces_the_v0_samples_byte_for_byte(tmp_path, capsys):
    out = tmp_path / "samples.fa"
    assert main(["generate", "--ckpt", str(ckpt("dna_lm")), "-n", "4", "--seed", "1", "--max-new-tokens", "12",
                 "--min-new-tokens", "12", "--out", str(out)]) == 0  # with the progress bar: it must not reach stdout
    assert out.read_bytes() == (V0 / "dna_lm_samples.fa").read_bytes()
    captured = capsys.readouterr()
    assert json.loads(captured.out) == json.loads((tmp_path / "samples.fa.metrics.json").read_text())["metrics"]
    assert "Predicting" in captured.err


def test_generate_samples_do_not_depend_on_the_batch_size_split_of_seeds(tmp_path, capsys):
    """A chunk samples with seed + its start: batches of 2 give other samples than one batch, but the same twice."""
    base = ["generate", "--ckpt", str(ckpt("dna_lm")), "-n", "4", "--seed", "1", "--max-new-tokens", "12",
            "--batch-size", "2", *QUIET]
    assert main([*base, "--out", str(tmp_path / "a.fa")]) == 0
    assert main([*base, "--out", str(tmp_path / "b.fa")]) == 0
    assert (tmp_path / "a.fa").read_text() == (tmp_path / "b.fa").read_text()
    assert (tmp_path / "a.fa").read_text().count(">") == 4


def test_predict_keeps_input_order_in_small_batches(tmp_path):
    out = tmp_path / "preds.csv"
    assert main(["predict", "--ckpt", str(ckpt("dna_classify")), "--input", str(ROWS), "-r", "target=label",
                 "--batch-size", "3", "--out", str(out), *QUIET]) == 0
    got, expected = read(out), read(V0 / "dna_classify_predictions.csv")
    assert [r["target"] for r in got] == [r["target"] for r in expected]
    assert [r["prediction"] for r in got] == [r["prediction"] for r in expected]
    assert np.allclose([float(r["prob_motif"]) for r in got], [float(r["prob_motif"]) for r in expected], atol=2e-6)


def test_bf16_mixed_precision_predicts_on_cpu_close_to_float32(tmp_path):
    out = tmp_path / "preds.csv"
    assert main(["predict", "--ckpt", str(ckpt("dna_classify")), "--input", str(ROWS), "-r", "target=label",
                 "--trainer.precision", "bf16-mixed", "--out", str(out), *QUIET]) == 0
    got = [float(r["prob_motif"]) for r in read(out)]
    expected = [float(r["prob_motif"]) for r in read(V0 / "dna_classify_predictions.csv")]
    assert got != expected  # bfloat16 really ran
    assert np.allclose(got, expected, atol=0.01)


EMBED_FORMS = {
    "short": ["-r", "target=gc"],
    "mapping": ["--data.reader_options", "{target: gc}"],
}


@pytest.mark.parametrize("form", list(EMBED_FORMS), ids=list(EMBED_FORMS))
def test_embed_takes_the_reader_option_forms_and_any_batch_size(form, tmp_path):
    args = ["embed", "--ckpt", str(ckpt("dna_classify")), "--input", str(ROWS), *EMBED_FORMS[form], *QUIET]
    assert main([*args, "--out", str(tmp_path / "a.npy")]) == 0
    assert main([*args, "--out", str(tmp_path / "b.npy"), "--batch-size", "1"]) == 0
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (20, 16) and np.allclose(a, b, atol=1e-5)
    targets = [r["target"] for r in read(tmp_path / "a.ids.csv")]
    assert targets == [r["gc"] for r in read(ROWS)]  # the reader's target=gc reached it


@pytest.mark.parametrize("command", ["predict", "embed", "generate"])
def test_a_gpu_on_a_machine_without_one_is_a_one_line_error(command, tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same on a machine that has one
    extra = ["--input", str(ROWS)] if command != "generate" else []
    assert main([command, "--ckpt", str(tmp_path / "never-read.ckpt"), *extra, "--out", str(tmp_path / "x.csv"),
                 "--trainer.accelerator", "gpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"polyseq {command}: error: --trainer.accelerator=gpu: no GPU is available on this machine")
    assert "use --trainer.accelerator cpu (the default) or auto" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--trainer.precision", "bf17"], "--trainer.precision=bf17: Precision 'bf17' is invalid"),
        (["--trainer.accelerator", "gpx"], "--trainer.accelerator=gpx: You selected an invalid accelerator name"),
        (["--trainer.strategy", "ddp_spawn", "--trainer.devices", "2"], "spawn and fork strategies cannot hand back"),
    ],
    ids=["precision", "accelerator", "spawn"],
)
def test_trainer_flags_lightning_rejects_are_named(flags, message, tmp_path, capsys):
    assert main(["predict", "--ckpt", str(tmp_path / "x.ckpt"), "--input", str(ROWS), "--out", str(tmp_path / "x.csv"),
                 *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_two_cpu_processes_embed_in_input_order(tmp_path):
    """DDP re-runs the command per process: a `polyseq` subprocess (inside pytest it would re-run pytest).
    Seven chunks of 3 over two processes: uneven shards, gathered and put back in input order."""
    single = tmp_path / "one.npy"
    assert main(["embed", "--ckpt", str(ckpt("dna_classify")), "--input", str(ROWS), "--batch-size", "3",
                 "--out", str(single), *QUIET]) == 0
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "polyseq", "embed", "--ckpt", str(ckpt("dna_classify")),
                             "--input", str(ROWS), "--batch-size", "3", "--out", str(tmp_path / "two.npy"),
                             "--trainer.devices", "2", *QUIET], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in result.stderr  # the second process really ran
    assert result.stderr.count("embeddings of size 16 written") == 1  # one process writes
    assert np.array_equal(np.load(tmp_path / "two.npy"), np.load(single))
    assert (tmp_path / "two.ids.csv").read_text() == (tmp_path / "one.ids.csv").read_text()


def test_commands_without_a_model_never_import_lightning():
    code = (
        "import sys, contextlib, io\n"
        "from polyseq.cli import main\n"
        "for argv in (['--help'], ['predict', '--help'], ['generate', '--help'], ['embed', '--help'],\n"
        "             ['tokenize', '--help'], ['plugins'], ['datasets'],\n"
        "             ['tokenize', '--domain', 'dna', '--tokenizer', 'kmer', '-o', 'k=3', 'ACGTAC']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            assert main(argv) == 0, argv\n"
        "        except SystemExit as e:\n"
        "            assert e.code in (0, None), argv\n"
        "print(sorted(m for m in ('pytorch_lightning', 'lightning_fabric', 'lightning') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[]"
