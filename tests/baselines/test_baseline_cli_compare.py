"""`polyseq baseline` writes `polyseq predict`'s columns; `polyseq compare` runs baselines as rows."""

import csv
import json
from pathlib import Path

import pytest

from polyseq.cli import main
from polyseq.errors import ConfigError

V0 = Path(__file__).parents[1] / "fixtures" / "v0_checkpoints"
ROWS = V0 / "dna_rows.csv"


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(("task", "target", "ckpt"), [("classify", "label", "dna_classify"), ("regress", "gc", "dna_regress")],
                         ids=["classify", "regress"])
def test_baseline_writes_the_columns_of_predict(task, target, ckpt, tmp_path, capsys):
    ours, theirs = tmp_path / "baseline.csv", tmp_path / "predict.csv"
    assert main(["baseline", "kmer_logreg", "--data.domain", "dna", f"--data.train={ROWS}", "--data.task", task,
                 "--data.target", target, "--input", str(ROWS), "--out", str(ours), "--output-dir", str(tmp_path / "b"),
                 "-b", "C=10"]) == 0
    assert main(["predict", "--ckpt", str(V0 / f"{ckpt}.ckpt"), "--input", str(ROWS), "-r", f"target={target}",
                 "--out", str(theirs), "--trainer.enable_progress_bar", "false"]) == 0
    got, expected = read(ours), read(theirs)
    assert list(got[0]) == list(expected[0])
    assert [r["id"] for r in got] == [r["id"] for r in expected] and [r["target"] for r in got] == [r["target"] for r in expected]
    summary = json.loads((tmp_path / "b" / "baseline.json").read_text())
    assert summary["baseline"] == {"name": "kmer_logreg", "seed": 0, "options": {**summary["baseline"]["options"], "C": 10}}
    printed = dict(line.split("\t") for line in capsys.readouterr().out.splitlines() if "\t" in line)
    assert ("val/acc" if task == "classify" else "val/rmse") in printed


def test_baseline_cli_errors_name_the_option(tmp_path, capsys):
    assert main(["baseline", "majority", "--data.domain", "dna", f"--data.train={ROWS}", "--data.taks", "classify"]) == 2
    err = capsys.readouterr().err
    assert "--data.taks" in err and "Did you mean '--data.task'" in err
    assert main(["baseline", "majority", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "--config" in capsys.readouterr().err


def write_config(tmp_path, motif_csv, baselines):
    path = tmp_path / "grid.yaml"
    path.write_text(f"""
name: grid
output: {tmp_path / 'out'}
seeds: [0, 1]
budget: {{steps: 2}}
baselines: {baselines}
datasets:
  - name: motifs
    task: classify
    data: {{domain: dna, train: {motif_csv}, target: label, split_fractions: [0.7, 0.3]}}
    tokenizers: [nucleotide]
""")
    return path


def test_compare_runs_baselines_as_rows_of_the_grid(tmp_path, motif_csv):
    from polyseq.compare import compare, load_config

    cfg = load_config(write_config(tmp_path, motif_csv, "[majority, kmer_logreg]"))
    rows = [r for r in cfg.runs if r.baseline]
    assert [r.run_id for r in rows] == ["motifs-classify-baseline_majority-s0", "motifs-classify-baseline_majority-s1",
                                        "motifs-classify-baseline_kmer_logreg-s0", "motifs-classify-baseline_kmer_logreg-s1"]
    assert {r.tokenizer for r in cfg.tokenizer_variants()} == {"nucleotide"}
    compare(cfg, command="test", only=rows, say=lambda line: None)
    results = {r["run_id"]: r for r in read(cfg.output / "results.csv")}
    kmer = results["motifs-classify-baseline_kmer_logreg-s0"]
    assert kmer["backbone"] == "baseline:kmer_logreg" and kmer["tokenizer"] == "k-mers 1-6" and float(kmer["val_acc"]) == 1.0
    report = (cfg.output / "report.md").read_text()
    assert "| baseline:kmer_logreg | k-mers 1-6 | **1.000 ± 0.000** |" in report
    assert "| baseline:majority | none |" in report


def test_compare_config_checks_baselines(tmp_path, motif_csv):
    from polyseq.compare import load_config

    with pytest.raises(ConfigError) as e:
        load_config(write_config(tmp_path, motif_csv, "{kmer_logre: {}, morgan_rf: {}, ngram_lm: {order: 9}}"))
    text = str(e.value)
    assert "kmer_logreg" in text  # did you mean
    assert "option order must be an integer from 1 to 7, got 9" in text
    assert "baselines: 'morgan_rf' reads none of the datasets' domains and tasks" in text
