"""Every shipped config runs: offline ones here, the ones naming downloaded datasets in the real-data suite."""

from pathlib import Path

import pytest
import yaml

from polyseq.catalog import get_dataset
from polyseq.cli import main

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "examples" / "configs").glob("*.yaml"))


def config_of(config: Path) -> dict:
    return yaml.safe_load(config.read_text())


def fine_tunes(config: Path) -> bool:
    return bool(config_of(config).get("model", {}).get("init_from"))


def is_offline(config: Path) -> bool:
    return get_dataset(yaml.safe_load(config.read_text())["data"]["dataset"]).generator is not None


def run_config(config: Path, tmp_path: Path) -> int:
    return main(["fit", "--config", str(config), "--trainer.fast_dev_run=true", "--trainer.enable_progress_bar=false",
                 f"--trainer.default_root_dir={tmp_path}", f"--trainer.logger.init_args.save_dir={tmp_path}"])


def test_every_config_opens_with_what_it_trains_and_the_command():
    assert len(CONFIGS) >= 10
    for config in CONFIGS:
        head = config.read_text().splitlines()[:6]
        assert head[0].startswith("# "), f"{config.name}: the first line must say what it trains"
        assert any(f"polyseq fit --config examples/configs/{config.name}" in line for line in head), config.name
        assert any("Expected" in line for line in config.read_text().splitlines() if line.startswith("#")), config.name


@pytest.mark.parametrize("config", [c for c in CONFIGS if is_offline(c)], ids=lambda c: c.stem)
def test_offline_config_runs(config, tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    assert run_config(config, tmp_path) == 0


@pytest.mark.realdata
@pytest.mark.parametrize("config", [c for c in CONFIGS if not is_offline(c) and not fine_tunes(c)], ids=lambda c: c.stem)
def test_real_data_config_runs(config, tmp_path, monkeypatch, data_mirror):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    assert run_config(config, tmp_path) == 0


@pytest.mark.realdata
@pytest.mark.parametrize("config", [c for c in CONFIGS if fine_tunes(c)], ids=lambda c: c.stem)
def test_pretrain_then_fine_tune_configs_run(config, tmp_path, monkeypatch, data_mirror):
    """The pretraining config writes the checkpoint the fine-tuning config names (relative to the run folder)."""
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    pretrain = config.with_name(config.name.replace("finetune", "pretrain").replace("_esol", "_moses")
                              .replace("_freesolv", "_moses").replace("_splice", "_ecoli"))
    assert main(["fit", "--config", str(pretrain), "--trainer.max_steps=2", "--trainer.limit_val_batches=1",
                 "--trainer.enable_progress_bar=false"]) == 0
    assert (tmp_path / config_of(config)["model"]["init_from"]).exists()
    assert run_config(config, tmp_path) == 0


# ---- comparison configs (`polyseq compare`) ----------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_comparison_configs_open_with_what_they_compare_and_the_command():
    for name in ("compare_quick.yaml", "compare_real.yaml"):
        head = (EXAMPLES / name).read_text().splitlines()[:6]
        assert head[0].startswith("# ") and any(f"polyseq compare examples/{name}" in line for line in head), name


def run_comparison(name: str, tmp_path: Path) -> list[dict]:
    """Every cell of the grid, with 2 steps and one seed: the config is valid and each run trains."""
    import csv

    out = tmp_path / "out"
    assert main(["compare", str(EXAMPLES / name), "--output", str(out), "--steps", "2", "--seeds", "0"]) == 0
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["status"] for r in rows} == {"finished"}
    assert {r["domain"] for r in rows} == {"text", "code", "latex", "dna", "smiles", "midi"}
    assert (out / "report.md").exists() and len(list((out / "plots").glob("*.png"))) == 3
    return rows


@pytest.mark.slow  # `make demo` runs the same grid at full length
def test_quick_comparison_runs_every_cell_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    rows = run_comparison("compare_quick.yaml", tmp_path)
    neural = [r for r in rows if not r["backbone"].startswith("baseline:")]
    assert len(neural) == 6 * 2 * 2  # datasets x backbones x tokenizers, one seed
    # each dataset's classical references: ngram_lm for the 2 LMs, majority + latex_tfidf, majority +
    # kmer_logreg, majority (mean) + morgan_rf + morgan_linear, ngram_lm for MIDI
    assert len(rows) - len(neural) == 10


@pytest.mark.realdata
def test_real_comparison_runs_every_cell(tmp_path, monkeypatch, data_mirror):
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    rows = run_comparison("compare_real.yaml", tmp_path)
    neural = [r for r in rows if not r["backbone"].startswith("baseline:")]
    assert len(neural) == 6 * 2 * 2 and len(rows) - len(neural) == 11  # one seed: 33 / 3 baseline rows
