"""`polyseq compare`: the grid, its config errors, results that are the runs' own logs, resuming."""

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
import yaml

import polyseq
from polyseq.cli import main
from polyseq.compare import load_config
from polyseq.data.module import SequenceDataModule
from polyseq.errors import ConfigError
from polyseq.training.module import load_model

TINY = {
    "name": "tiny",
    "seeds": [0],
    "budget": {"steps": 4, "eval_every": 2},
    "defaults": {"data": {"max_length": 48, "batch_size": 8}, "model": {"d_model": 16, "n_layers": 1, "n_heads": 2},
                 "trainer": {"limit_val_batches": 3}},
    "backbones": {"transformer": {}, "gru": {"backbone": "rnn", "backbone_options": {"cell": "gru"}}},
    "datasets": [
        {"dataset": "dna_motifs", "task": "classify", "tokenizers": {"kmer3": {"tokenizer": "kmer", "tokenizer_options": {"k": 3}}}},
        {"dataset": "midi_scales", "task": "lm"},
    ],
}


def write_config(folder: Path, config: dict, name: str = "tiny.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(autouse=True)
def cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path_factory.getbasetemp() / "compare-cache"))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The tiny grid run once, in this process, as `polyseq compare` does."""
    folder = tmp_path_factory.mktemp("compare")
    mp = pytest.MonkeyPatch()
    mp.setenv("POLYSEQ_CACHE", str(tmp_path_factory.getbasetemp() / "compare-cache"))
    config = write_config(folder, TINY)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["compare", str(config), "--output", str(folder / "out")])
    mp.undo()
    printed["out"], printed["err"] = out.getvalue(), err.getvalue()
    return config, folder / "out", status


printed: dict[str, str] = {}  # what the `finished` grid printed


# ---- the config ------------------------------------------------------------------------------


def test_grid_is_datasets_x_backbones_x_tokenizers_x_seeds(tmp_path):
    config = {**TINY, "seeds": [0, 1, 2],
              "datasets": [{**TINY["datasets"][0], "tokenizers": ["nucleotide", "kmer"]}, TINY["datasets"][1]]}
    cfg = load_config(write_config(tmp_path, config))
    assert len(cfg.runs) == (2 + 1) * 2 * 3
    assert cfg.runs[0].run_id == "dna_motifs-classify-transformer-nucleotide-s0"
    assert {r.tokenizer for r in cfg.runs if r.dataset == "midi_scales"} == {"remi"}  # the domain's default
    first = cfg.runs[0].fit
    assert first["data"] == {"max_length": 48, "batch_size": 8, "dataset": "dna_motifs", "task": "classify", "tokenizer": "nucleotide"}
    assert first["seed_everything"] == 0 and first["model"]["d_model"] == 16
    assert len(cfg.tokenizer_variants()) == 3


def test_the_digest_follows_what_shapes_a_run(tmp_path):
    path = write_config(tmp_path, TINY)
    a, b = load_config(path).runs[0], load_config(path, output="elsewhere").runs[0]
    assert a.digest == b.digest  # the output folder does not change a run
    assert load_config(path, steps=5).budget.steps == 5
    assert load_config(path, seeds=[3]).runs[0].run_id.endswith("-s3")


def test_every_config_problem_is_reported_at_once_with_its_key(tmp_path):
    bad = {
        "seeds": [0], "budget": {"steps": 3, "minutes": 1}, "backbnes": {},
        "defaults": {"data": {"batchsize": 8}, "trainer": {"max_steps": 9}},
        "datasets": [
            {"dataset": "dna_motif", "task": "classify"},
            {"dataset": "dna_motifs", "task": "classify", "tokenizers": {"kmr": {}}},
            {"dataset": "midi_scales", "task": "regress"},
        ],
    }
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, bad, "bad.yaml"))
    text = str(err.value)
    assert text.startswith(f"{tmp_path / 'bad.yaml'}: 7 problem(s)")
    assert "no key 'backbnes' in " in text and "Did you mean 'backbones'?" in text
    assert "budget: give exactly one of steps or minutes" in text
    assert "no key 'batchsize' in defaults.data" in text and "Did you mean 'batch_size'?" in text
    assert "defaults.trainer.max_steps: set by the comparison" in text
    assert "datasets[0]: no dataset 'dna_motif'" in text
    assert "datasets[1].tokenizers.kmr: no tokenizer 'kmr' for domain 'dna'" in text
    assert "datasets[2]:" in text and "regress" in text


def test_a_missing_config_names_the_file(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such comparison config" in capsys.readouterr().err


# ---- a finished grid -------------------------------------------------------------------------


def test_compare_writes_one_row_per_run_a_report_and_plots(finished):
    config, out, status = finished
    assert status == 0
    rows = read_csv(out / "results.csv")
    assert [r["run_id"] for r in rows] == [s.run_id for s in load_config(config).runs]
    assert {r["status"] for r in rows} == {"finished"}
    lm = [r for r in rows if r["task"] == "lm"]
    assert all(float(r["val_bits_per_byte"]) > 0 and float(r["val_gen_well_formed"]) >= 0 for r in lm)
    assert all(int(r["steps"]) == 4 and int(r["tokens"]) > 0 and float(r["tokens_per_s"]) > 0 for r in rows)
    report = (out / "report.md").read_text()
    assert "### dna — dna_motifs (classify)" in report and "### midi — midi_scales (lm)" in report
    for name in ("learning_curves", "metrics", "tokenizers"):
        assert (out / "plots" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    tokenizers = read_csv(out / "tokenizers.csv")
    assert [(t["dataset"], t["tokenizer"]) for t in tokenizers] == [("dna_motifs", "kmer3"), ("midi_scales", "remi")]


def test_the_terminal_gets_one_line_per_run_and_each_runs_output_is_in_its_folder(finished):
    config, out, _ = finished
    runs = load_config(config).runs
    assert printed["out"] == ""
    lines = printed["err"].splitlines()
    done = [line for line in lines if line.startswith("polyseq compare: [")]
    assert len(done) == len(runs) == 4
    for i, (line, spec) in enumerate(zip(done, runs), 1):
        assert line.startswith(f"polyseq compare: [{i}/4] {spec.run_id}: finished in ")
    row = next(r for r in read_csv(out / "results.csv") if r["task"] == "classify")
    assert f"{row['run_id']}: finished in " in printed["err"] and f"acc {float(row['val_acc']):.4g}, loss " in printed["err"]
    lm = next(r for r in read_csv(out / "results.csv") if r["task"] == "lm")
    assert f"{lm['run_id']}: finished in " in printed["err"] and f"bits_per_byte {float(lm['val_bits_per_byte']):.4g}" in printed["err"]
    # the rest: one line of tokenizer measurements per dataset and one of the files written, nothing from Lightning
    rest = [line for line in lines if line not in done]
    assert [line.split(":")[1] for line in rest[:2]] == [" tokenizers of dna_motifs", " tokenizers of midi_scales"]
    assert len(rest) == 3 and rest[2].startswith("polyseq compare: wrote ")
    assert "kmer3 (vocabulary " in rest[0] and "remi (vocabulary " in rest[1]
    assert rest[-1] == f"polyseq compare: wrote report.md, plots/learning_curves.png, plots/metrics.png, plots/tokenizers.png in {out}"
    assert "Epoch" not in printed["err"] and "Trainable params" not in printed["err"]
    for spec in runs:
        log = (out / "runs" / spec.run_id / "log.txt").read_text()
        assert "Trainable params" in log and "Epoch 0" in log  # Lightning's model summary and progress bar


def test_a_row_is_what_the_runs_log_and_checkpoint_say(finished):
    config, out, _ = finished
    row = next(r for r in read_csv(out / "results.csv") if r["run_id"] == "dna_motifs-classify-transformer-kmer3-s0")
    folder = out / "runs" / row["run_id"]
    # the log: the last validation in Lightning's metrics.csv is the row's
    logged = [r for r in read_csv(folder / "metrics.csv") if r.get("val/loss")]
    for key in ("loss", "acc", "f1", "auroc"):
        assert float(row[f"val_{key}"]) == float(logged[-1][f"val/{key}"])
    # the checkpoint: validating last.ckpt again gives the same numbers, and its size and step
    model = load_model(str(folder / "checkpoints" / "last.ckpt"))
    assert sum(p.numel() for p in model.parameters()) == int(row["params"])
    fit = yaml.safe_load((folder / "fit.yaml").read_text())
    data = SequenceDataModule(**fit["data"])
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                         limit_val_batches=fit["trainer"]["limit_val_batches"])
    again = trainer.validate(model, datamodule=data, verbose=False)[0]
    assert again["val/loss"] == pytest.approx(float(row["val_loss"]), abs=1e-5)
    assert again["val/acc"] == pytest.approx(float(row["val_acc"]), abs=1e-6)
    import torch

    assert torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == int(row["steps"])


def test_without_a_test_split_rows_have_no_test_columns(finished):
    _, out, _ = finished
    assert not [k for r in read_csv(out / "results.csv") for k, v in r.items() if k.startswith("test_") and v]
    assert "test acc" not in (out / "report.md").read_text()


def test_a_test_split_is_scored_with_the_checkpoint_chosen_on_validation(tmp_path):
    config = {**TINY, "budget": {"steps": 6, "eval_every": 2}, "backbones": {"transformer": {}},
              "datasets": [{**TINY["datasets"][0], "data": {"split_fractions": [0.6, 0.2, 0.2]}}]}
    out = tmp_path / "out"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["compare", str(write_config(tmp_path, config)), "--output", str(out)]) == 0
    (row,) = read_csv(out / "results.csv")
    folder = out / "runs" / row["run_id"]
    # the best checkpoint on val/loss, tested again independently, gives the row's test figures
    logged = [r for r in read_csv(folder / "metrics.csv") if r.get("val/loss")]
    best_step = min(logged, key=lambda r: float(r["val/loss"]))["step"]
    (best,) = [p for p in (folder / "checkpoints").glob("best-*.ckpt")]
    assert best.stem.endswith(f"-{int(best_step) + 1}")  # Lightning names a checkpoint after the steps done
    fit = yaml.safe_load((folder / "fit.yaml").read_text())
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    again = trainer.test(load_model(str(best)), datamodule=SequenceDataModule(**fit["data"]), verbose=False)[0]
    for key in ("loss", "acc", "auroc"):
        assert float(row[f"test_{key}"]) == pytest.approx(again[f"test/{key}"], abs=1e-5), key
    report = (out / "report.md").read_text()
    header = next(line for line in report.splitlines() if line.startswith("| backbone | tokenizer |"))
    assert header.split(" | ")[2:4] == ["val acc ↑", "test acc"]


def test_a_run_repeats_as_an_ordinary_fit(finished, tmp_path):
    """Each run's fit.yaml is a plain `polyseq fit` config."""
    _, out, _ = finished
    fit = out / "runs" / "midi_scales-lm-gru-remi-s0" / "fit.yaml"
    assert main(["fit", "--config", str(fit), "--trainer.enable_progress_bar=false", f"--trainer.default_root_dir={tmp_path}",
                 f"--trainer.logger.init_args.save_dir={tmp_path}"]) == 0
    assert (tmp_path / "checkpoints" / "last.ckpt").exists()


def test_a_second_invocation_skips_finished_runs(finished, capsys):
    config, out, _ = finished
    results = sorted((out / "runs").glob("*/result.json"))
    before = {p: (p.stat().st_mtime_ns, p.read_text()) for p in results}
    assert main(["compare", str(config), "--output", str(out)]) == 0
    assert "4 of 4 run(s) already finished" in capsys.readouterr().err
    assert {p: (p.stat().st_mtime_ns, p.read_text()) for p in results} == before
    assert main(["compare", str(config), "--output", str(out), "--list"]) == 0
    assert capsys.readouterr().out.count("\tfinished") == 4


def test_tokenizers_only_trains_nothing(tmp_path):
    config = write_config(tmp_path, TINY)
    assert main(["compare", "--tokenizers-only", str(config), "--output", str(tmp_path / "out")]) == 0
    assert not (tmp_path / "out" / "runs").exists()
    rows = read_csv(tmp_path / "out" / "tokenizers.csv")
    kmer = next(r for r in rows if r["tokenizer"] == "kmer3")
    assert int(kmer["vocab_size"]) == polyseq.get_domain("dna").make_tokenizer("kmer", k=3).vocab_size
    assert float(kmer["tokens_per_byte"]) == pytest.approx(int(kmer["tokens"]) / int(kmer["bytes"]))
    assert json.loads(kmer["len_q"])[3] == 98  # 100-nt sequences -> 98 overlapping 3-mers
    assert "## Tokenizers" in (tmp_path / "out" / "report.md").read_text()


def test_a_failing_run_is_reported_and_retried_while_the_others_finish(tmp_path, capsys):
    config = {**TINY, "backbones": {"transformer": {}},
              "datasets": [TINY["datasets"][0], {**TINY["datasets"][1], "data": {"max_length": 1}}]}
    path = write_config(tmp_path, config)
    assert main(["compare", str(path), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "1 run(s) failed: midi_scales-lm-transformer-remi-s0" in err
    rows = {r["run_id"]: r for r in read_csv(tmp_path / "out" / "results.csv")}
    assert rows["dna_motifs-classify-transformer-kmer3-s0"]["status"] == "finished"
    failed = rows["midi_scales-lm-transformer-remi-s0"]
    assert failed["status"] == "failed" and "max_length must be >= 2" in failed["error"]
    assert "Traceback" in (tmp_path / "out" / "runs" / failed["run_id"] / "error.txt").read_text()
    log = tmp_path / "out" / "runs" / failed["run_id"] / "log.txt"
    assert f"{failed['run_id']}: failed in " in err and f"max_length must be >= 2, got 1 (log: {log})" in err
    assert "max_length must be >= 2" in log.read_text() and "Traceback" in log.read_text()
    assert "## Failed runs" in (tmp_path / "out" / "report.md").read_text()
    assert main(["compare", str(path), "--output", str(tmp_path / "out")]) == 1
    assert "1 of 2 run(s) already finished" in capsys.readouterr().err  # the failed one ran again


def test_a_minutes_budget_is_wall_clock_time_for_each_run(tmp_path):
    config = {**TINY, "budget": {"minutes": 0.05, "eval_every": 5}, "backbones": {"transformer": {}},
              "datasets": [TINY["datasets"][0]]}
    path = write_config(tmp_path, config)
    assert main(["compare", str(path), "--output", str(tmp_path / "out")]) == 0
    row = read_csv(tmp_path / "out" / "results.csv")[0]
    fit = yaml.safe_load((tmp_path / "out" / "runs" / row["run_id"] / "fit.yaml").read_text())
    assert fit["trainer"]["max_time"] == {"seconds": 3} and fit["trainer"]["max_steps"] == -1
    assert row["status"] == "finished" and int(row["steps"]) > 0 and row["val_acc"]


# ---- killed midway, and runs in child processes ------------------------------------------------


def spawn(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "polyseq", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.slow
def test_killed_midway_then_run_again_completes_without_redoing_or_corrupting(tmp_path):
    config = {**TINY, "budget": {"steps": 60, "eval_every": 20}, "backbones": {"transformer": {}},
              "datasets": [{**TINY["datasets"][0], "tokenizers": ["nucleotide", "kmer"]}]}
    path, out = write_config(tmp_path, config), tmp_path / "out"
    proc = spawn("compare", str(path), "--output", str(out))
    first, second = out / "runs" / "dna_motifs-classify-transformer-nucleotide-s0", out / "runs" / "dna_motifs-classify-transformer-kmer-s0"
    deadline = time.time() + 240
    while not ((first / "result.json").exists() and (second / "metrics.csv").exists()) and time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # midway through the second run: nothing gets to clean up
    proc.wait()
    assert not (second / "result.json").exists()
    rows = read_csv(out / "results.csv")  # a whole file, with the finished run only
    assert [r["run_id"] for r in rows] == [first.name] and rows[0]["status"] == "finished"
    kept = (first / "result.json").read_text(), (first / "result.json").stat().st_mtime_ns

    again = spawn("compare", str(path), "--output", str(out))
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "1 of 2 run(s) already finished" in err
    assert ((first / "result.json").read_text(), (first / "result.json").stat().st_mtime_ns) == kept
    rows = read_csv(out / "results.csv")
    assert [r["run_id"] for r in rows] == [first.name, second.name]
    assert all(r["status"] == "finished" and int(r["steps"]) == 60 for r in rows)
    # the restarted run started from step 0: one learning curve, steps strictly increasing
    steps = [int(r["step"]) for r in read_csv(second / "metrics.csv") if r.get("val/loss")]
    assert steps == sorted(steps) and steps[0] < 20


@pytest.mark.slow
def test_jobs_run_in_child_processes(tmp_path):
    config = {**TINY, "backbones": {"transformer": {}}}
    path = write_config(tmp_path, config)
    proc = spawn("compare", str(path), "--output", str(tmp_path / "out"), "--jobs", "2")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert err.count(": finished in ") == 2, err
    rows = read_csv(tmp_path / "out" / "results.csv")
    assert len(rows) == 2 and {r["status"] for r in rows} == {"finished"}
    for row in rows:  # each child's output in its run's log.txt, nothing left beside the run folders
        assert "Trainable params" in (tmp_path / "out" / "runs" / row["run_id"] / "log.txt").read_text()
    assert not list((tmp_path / "out" / "runs").glob("*.log"))


def test_budget_checkpoint_on_chooses_the_tested_checkpoint_on_that_metric(tmp_path):
    config = {**TINY, "budget": {"steps": 6, "eval_every": 2, "checkpoint_on": "val/auroc"},
              "backbones": {"transformer": {}},
              "datasets": [{**TINY["datasets"][0], "data": {"split_fractions": [0.7, 0.15, 0.15]}}]}
    path, out = write_config(tmp_path, config), tmp_path / "out"
    (spec,) = load_config(path).runs
    assert spec.fit["checkpoint_on"] == "val/auroc"
    assert "checkpoint_on" not in load_config(write_config(tmp_path, TINY, "plain.yaml")).runs[0].fit  # digests kept
    assert main(["compare", str(path), "--output", str(out)]) == 0
    run = out / "runs" / spec.run_id
    assert yaml.safe_load((run / "fit.yaml").read_text())["checkpoint_on"] == "val/auroc"
    (best,) = (run / "checkpoints").glob("best-*.ckpt")
    state = torch.load(best, map_location="cpu", weights_only=True)
    (callback,) = [v for k, v in state["callbacks"].items() if k.startswith("BestAndLast")]
    aurocs = [float(r["val/auroc"]) for r in read_csv(run / "metrics.csv") if r.get("val/auroc")]
    assert callback["monitor"] == "val/auroc" and callback["best_model_score"].item() == pytest.approx(max(aurocs))
    (row,) = read_csv(out / "results.csv")
    assert float(row["chosen_val_auroc"]) == pytest.approx(max(aurocs)) and row["test_auroc"]
    assert "checkpoint chosen on val/auroc" in (out / "report.md").read_text()
    bad = write_config(tmp_path, {**config, "budget": {"steps": 6, "checkpoint_on": "auroc"}}, "bad.yaml")
    with pytest.raises(ConfigError, match="budget.checkpoint_on: expected a validation value such as val/loss"):
        load_config(bad)


def test_a_named_entry_of_a_dataset_already_in_the_grid_is_its_own_row_group(tmp_path):
    entry = TINY["datasets"][0]
    config = {**TINY, "backbones": {"transformer": {}},
              "datasets": [entry, {**entry, "name": "dna_motifs_rc", "data": {"augment": ["reverse_complement"]}}]}
    runs = load_config(write_config(tmp_path, config)).runs
    neural = [r for r in runs if not r.baseline]
    assert [(r.run_id, r.dataset) for r in neural] == [
        ("dna_motifs-classify-transformer-kmer3-s0", "dna_motifs"), ("dna_motifs_rc-classify-transformer-kmer3-s0", "dna_motifs_rc")]
    assert [r.fit["data"]["dataset"] for r in neural] == ["dna_motifs", "dna_motifs"]  # both read the catalog's files
    assert neural[1].fit["data"]["augment"] == ["reverse_complement"] and "augment" not in neural[0].fit["data"]
