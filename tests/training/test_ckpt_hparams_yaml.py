"""`fit --ckpt_path` (resume), `validate` and `test` read a checkpoint whose vocabulary holds tokens that
YAML would read as something else ('?', ':', '- ', '{'): jsonargparse re-read them and crashed."""

import pytest

from polyseq.cli import main

TINY = ["--model.d_model", "16", "--model.n_layers", "1", "--model.n_heads", "2", "--data.batch_size", "4",
        "--data.split_fractions", "[0.8, 0.2]", "--trainer.enable_progress_bar", "false",
        "--trainer.enable_model_summary", "false"]


def test_validate_and_resume_a_run_whose_vocabulary_has_yaml_symbols(tmp_path, monkeypatch, capsys):
    lines = ["why? who: {me} - and you?", "? : - [ ] { } # & * ! | > ' \" % @ `", "ok? yes: no."] * 20
    (tmp_path / "q.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / ".cache"))
    assert main(["fit", "--data.domain", "text", "--data.train", "q.txt", "--data.tokenizer", "char", "-r", "mode=line", *TINY,
                 "--trainer.max_steps", "2"]) == 0
    run = tmp_path / "runs" / "lightning_logs" / "version_0"
    ckpt = str(run / "checkpoints" / "last.ckpt")
    config = str(run / "config.yaml")
    capsys.readouterr()
    assert main(["validate", "--config", config, "--ckpt_path", ckpt]) == 0
    assert "val/loss" in capsys.readouterr().out.split("polyseq validate:")[-1]
    assert main(["fit", "--config", config, "--ckpt_path", ckpt, "--trainer.max_steps", "4"]) == 0
    assert "polyseq fit: 4 steps" in capsys.readouterr().out
