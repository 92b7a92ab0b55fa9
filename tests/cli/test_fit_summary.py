"""`polyseq fit` ends with what it reached, where the checkpoint is and the command that uses it;
logs and checkpoints go where Lightning users expect; polyseq's own code raises no warning."""

import re
import shlex
import warnings
from pathlib import Path

import polyseq_dna

import polyseq
from polyseq.cli import main

OWN_CODE = (str(Path(polyseq.__file__).parent), str(Path(polyseq_dna.__file__).parents[1]))

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


def test_fit_prints_best_and_test_metrics_checkpoint_and_the_predict_command_that_works(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = _labelled(tmp_path / "train.csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["fit", "--data.domain", "dna", "--data.train", str(data), "--data.target", "label",
                     "--data.task", "classify", "--data.batch_size", "8", "--data.split_fractions", "[0.6, 0.2, 0.2]",
                     "--trainer.default_root_dir", "root", "--test_after_fit", "true", *TINY]) == 0
    own = [f"{w.filename}:{w.lineno}: {w.message}" for w in caught if w.filename.startswith(OWN_CODE)]
    assert own == []
    summary = _summary(capsys.readouterr().out)
    assert summary[0].startswith("polyseq fit: 6 steps") and "best val/loss" in summary[0] and "val/acc" in summary[0]
    assert summary[1].startswith("  last (epoch ")
    assert summary[2].startswith("  test: test/loss ") and "test/acc" in summary[2]
    checkpoint = summary[3].removeprefix("  checkpoint: ").split(" (")[0]
    # no logger given: the CSV log and the checkpoints under --trainer.default_root_dir, as Lightning's own default
    assert Path(checkpoint).parent == Path("root", "lightning_logs", "version_0", "checkpoints")
    assert (tmp_path / "root" / "lightning_logs" / "version_0" / "metrics.csv").is_file()
    assert not (tmp_path / "runs").exists()
    command = shlex.split(summary[4].removeprefix("  use it:     "))
    assert command[:4] == ["polyseq", "predict", "--ckpt", checkpoint]
    command[command.index("FILE")] = str(data)
    assert main(command[1:]) == 0
    assert len((tmp_path / "predictions.csv").read_text().splitlines()) == 41
    capsys.readouterr()
    # `polyseq test` on the best checkpoint ends with its test metrics: the ones fit printed
    assert main(["test", "--data.domain", "dna", "--data.train", str(data), "--data.target", "label", "--data.task",
                 "classify", "--data.batch_size", "8", "--data.split_fractions", "[0.6, 0.2, 0.2]", "--ckpt_path", checkpoint,
                 "--trainer.default_root_dir", "root", *TINY[6:]]) == 0
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("polyseq test: ")]
    loss = re.compile(r"test/loss ([0-9.e+-]+)")
    assert loss.search(line).group(1) == loss.search(summary[2]).group(1)  # fit tested the best checkpoint too


def test_an_lm_run_points_at_generate_and_a_run_without_validation_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    fasta = tmp_path / "g.fa"
    fasta.write_text("".join(f">r{i}\n" + "ACGT" * 20 + "\n" for i in range(20)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["fit", "--data.domain", "dna", "--data.train", str(fasta), "--trainer.limit_val_batches", "0",
                     "--data.max_length", "16", "--trainer.default_root_dir", "root",
                     "--trainer.logger.init_args.save_dir", "mine", *TINY]) == 0
    assert not [w for w in caught if "could not find the monitored key" in str(w.message)]  # no val/loss to look for
    summary = _summary(capsys.readouterr().out)
    assert "no validation ran" in summary[0]
    assert "polyseq generate --ckpt" in summary[-1]
    # a logger the user configures wins over default_root_dir, and the checkpoints follow it
    checkpoint = Path(shlex.split(summary[-1])[5])
    assert checkpoint.parent == Path("mine") / "lightning_logs" / "version_0" / "checkpoints" and checkpoint.is_file()
    assert (tmp_path / "mine" / "lightning_logs" / "version_0" / "metrics.csv").is_file()
    assert not (tmp_path / "root" / "lightning_logs").exists()


def test_a_run_without_a_csv_logger_still_ends_with_its_summary(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = _labelled(tmp_path / "train.csv")
    assert main(["fit", "--data.domain", "dna", "--data.train", str(data), "--data.target", "label",
                 "--data.task", "classify", "--trainer.fast_dev_run", "true", *TINY[:6]]) == 0
    summary = _summary(capsys.readouterr().out)
    assert "best val/loss" in summary[0] and summary[1].startswith("  last: val/loss")


def test_a_run_that_stops_inside_its_first_epoch_validates_there_without_a_warning(tmp_path, monkeypatch):
    # max_steps 2 of a 27-batch epoch: validated at step 2 (ValidateAtLastStep), so ranked and saved
    monkeypatch.chdir(tmp_path)
    fasta = tmp_path / "g.fa"
    fasta.write_text("".join(f">r{i}\n" + "ACGT" * 20 + "\n" for i in range(60)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["fit", "--data.domain", "dna", "--data.train", str(fasta), "--data.max_length", "16",
                     "--data.batch_size", "2", "--trainer.default_root_dir", "root", *TINY, "--trainer.max_steps", "2"]) == 0
    assert not [w for w in caught if "could not find the monitored key" in str(w.message)]
    assert sorted(p.name for p in (tmp_path / "root").rglob("*.ckpt")) == ["best-0-2.ckpt", "last.ckpt"]
