"""`polyseq fit` ends with what it reached, where the checkpoint is and the command that uses it."""

import shlex
from pathlib import Path

from polyseq.cli import main

TINY = ["--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2", "--trainer.max_steps", "6",
        "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


def _labelled(path: Path) -> Path:
    rows = [("ACGTACGTAAAA", "a"), ("TTTTGGGGCCCC", "b")] * 20
    path.write_text("sequence,label\n" + "".join(f"{s},{y}\n" for s, y in rows))
    return path


def _summary(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("polyseq fit:"))
    return lines[start:]


def test_fit_prints_best_metrics_checkpoint_and_the_predict_command_that_works(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = _labelled(tmp_path / "train.csv")
    assert main(["fit", "--data.domain", "dna", "--data.train", str(data), "--data.target", "label",
                 "--data.task", "classify", "--data.batch_size", "8", *TINY]) == 0
    summary = _summary(capsys.readouterr().out)
    assert summary[0].startswith("polyseq fit: 6 steps") and "best val/loss" in summary[0] and "val/acc" in summary[0]
    assert summary[1].startswith("  last (epoch ")
    checkpoint = summary[2].removeprefix("  checkpoint: ").split(" (")[0]
    assert Path(checkpoint).is_file()
    command = shlex.split(summary[3].removeprefix("  use it:     "))
    assert command[:4] == ["polyseq", "predict", "--ckpt", checkpoint]
    command[command.index("FILE")] = str(data)
    assert main(command[1:]) == 0
    assert len((tmp_path / "predictions.csv").read_text().splitlines()) == 41


def test_an_lm_run_points_at_generate_and_a_run_without_validation_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    fasta = tmp_path / "g.fa"
    fasta.write_text("".join(f">r{i}\n" + "ACGT" * 20 + "\n" for i in range(20)))
    assert main(["fit", "--data.domain", "dna", "--data.train", str(fasta), "--trainer.limit_val_batches", "0",
                 "--data.max_length", "16", *TINY]) == 0
    summary = _summary(capsys.readouterr().out)
    assert "no validation ran" in summary[0]
    assert "polyseq generate --ckpt" in summary[-1]


def test_a_run_without_a_csv_logger_still_ends_with_its_summary(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = _labelled(tmp_path / "train.csv")
    assert main(["fit", "--data.domain", "dna", "--data.train", str(data), "--data.target", "label",
                 "--data.task", "classify", "--trainer.fast_dev_run", "true", *TINY[:6]]) == 0
    summary = _summary(capsys.readouterr().out)
    assert "best val/loss" in summary[0] and summary[1].startswith("  last: val/loss")
