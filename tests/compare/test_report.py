"""report.md and the plots written from a small, realistic `polyseq compare` result set."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest

from polyseq.compare.report import primary_metric, write_report, write_tokenizer_report

PNG = b"\x89PNG\r\n\x1a\n"

# (dataset, domain, task, backbone, tokenizer) -> metric values for seeds 0 and 1
CLASSIFY = {
    ("transformer", "kmer_k3"): {"val_acc": [0.80, 0.90], "val_f1": [0.78, 0.88], "val_auroc": [0.85, 0.93]},
    ("lstm", "kmer_k3"): {"val_acc": [0.70, 0.74], "val_f1": [0.69, 0.71], "val_auroc": [0.80, 0.82]},
}
LM = {
    ("transformer", "bpe"): {"val_bits_per_byte": [1.90, 2.10], "val_bits_per_token": [6.1, 6.5],
                             "val_ppl": [70.0, 90.5], "val_gen_validity": [0.55, 0.65]},
    ("lstm", "bpe"): {"val_bits_per_byte": [1.50, 1.60], "val_bits_per_token": [5.0, 5.2],
                      "val_ppl": [32.0, 36.8], "val_gen_validity": [0.40, 0.50]},
}
ERROR = "ValueError: --model.n_heads=6 does not divide --model.d_model=256.\nTraceback (most recent call last):"


def _runs(dataset: str, domain: str, task: str, table: dict, seeds: list[int]) -> list[dict[str, Any]]:
    rows = []
    for (backbone, tokenizer), metrics in table.items():
        for i, seed in enumerate(seeds):
            rows.append({
                "run_id": f"{dataset}-{task}-{backbone}-{tokenizer}-s{seed}", "dataset": dataset, "domain": domain,
                "task": task, "backbone": backbone, "tokenizer": tokenizer, "seed": seed, "status": "finished",
                "params": 212_000 if backbone == "transformer" else 180_500, "vocab_size": 68, "steps": 300,
                "tokens": 614_400, "train_time_s": 41.5 + i, "tokens_per_s": 14_805.2 - 100 * i,
                "val_loss": 0.5 + 0.01 * i, **{k: v[i] for k, v in metrics.items()},
            })
    return rows


def _results(seeds: list[int]) -> list[dict[str, Any]]:
    rows = _runs("dna_motifs", "dna", "classify", CLASSIFY, seeds) + _runs("tiny_text", "text", "lm", LM, seeds)
    rows.append({
        "run_id": "tiny_text-lm-transformer-char-s0", "dataset": "tiny_text", "domain": "text", "task": "lm",
        "backbone": "transformer", "tokenizer": "char", "seed": 0, "status": "failed", "error": ERROR,
        "val_loss": "", "val_bits_per_byte": None,
    })
    return rows


def _curves(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Training loss every 50 steps and validation loss every 100, ending at the run's logged val loss."""
    curves = {}
    for r in results:
        if r["status"] == "finished":
            scale = 1.0 + (r["backbone"] == "lstm") * 0.3 + r["seed"] * 0.05
            points = []
            for step in range(50, 301, 50):
                points.append({"step": step, "tokens": step * 2048, "train_loss": scale * 2.0 / (1 + step / 100),
                               "val_loss": None})
                if step % 100 == 0:
                    val = r["val_loss"] if step == 300 else scale * 2.2 / (1 + step / 100)
                    points.append({"step": step, "tokens": None, "train_loss": None, "val_loss": val})
            curves[r["run_id"]] = points
    return curves


TOKENIZERS = [
    {"dataset": "dna_motifs", "domain": "dna", "tokenizer": "kmer_k3", "vocab_size": 68, "records": 800,
     "tokens": 96_000, "bytes": 288_000, "tokens_per_byte": 0.3333, "len_mean": 120.0,
     "len_q": [100, 104, 112, 120, 128, 136, 140], "encode_s": 0.42},
    {"dataset": "tiny_text", "domain": "text", "tokenizer": "bpe", "vocab_size": 2048, "records": 500,
     "tokens": 61_000, "bytes": 0, "tokens_per_byte": None, "len_mean": 122.4,
     "len_q": [0, 12, 60, 110, 170, 290, 950], "encode_s": None},
]
META = {
    "config": "examples/compare_quick.yaml", "name": "compare_quick", "budget": "300 steps per run",
    "machine": "2 CPU cores, torch 2.13.0+cpu", "date": "2026-11-26",
    "command": "polyseq compare examples/compare_quick.yaml", "seeds": [0, 1],
}


@pytest.fixture
def report(tmp_path: Path) -> tuple[str, list[Path]]:
    results = _results([0, 1])
    paths = write_report(tmp_path, results, TOKENIZERS, _curves(results), META)
    return (tmp_path / "report.md").read_text(encoding="utf-8"), paths


def _row(text: str, heading: str, starts: str) -> str:
    """The table line under `heading` (up to the next heading) that starts with `starts`."""
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    [line] = [ln for ln in section.splitlines() if ln.startswith(starts)]
    return line


def test_report_has_every_group_heading(report: tuple[str, list[Path]]) -> None:
    text, _ = report
    headings = ["# compare_quick", "## By domain", "### dna — dna_motifs (classify)", "### text — tiny_text (lm)",
                "## By backbone", "### transformer", "### lstm", "### Summary", "## Tokenizers", "## Plots"]
    for heading in headings:
        assert f"\n{heading}\n" in f"\n{text}"
    assert "`polyseq compare examples/compare_quick.yaml`" in text and "300 steps per run" in text


def test_cell_is_mean_plus_minus_sample_std(report: tuple[str, list[Path]]) -> None:
    text, _ = report
    acc = CLASSIFY[("transformer", "kmer_k3")]["val_acc"]
    expected = f"{statistics.mean(acc):.3f} ± {statistics.stdev(acc):.3f}"
    assert expected == "0.850 ± 0.071"
    line = _row(text, "### dna — dna_motifs (classify)", "| transformer | kmer_k3 |")
    assert f"**{expected}**" in line  # higher accuracy is better: the transformer wins this group
    assert "0.21 M" in line and "0.6 M" in line and "14,755" in line  # params, tokens seen, mean tokens/s


def test_best_lower_is_better_metric_is_bold(report: tuple[str, list[Path]]) -> None:
    text, _ = report
    heading = "### text — tiny_text (lm)"
    header = _row(text, heading, "| backbone |")
    assert "val bits/byte ↓" in header and "val bits/token" in header and "gen validity" in header
    assert "**1.550 ± 0.071**" in _row(text, heading, "| lstm | bpe |")
    assert "**" not in _row(text, heading, "| transformer | bpe |")
    assert "| text: tiny_text (val bits/byte ↓) |" in text  # the backbone summary names the metric


def test_failed_run_is_listed_with_first_error_line(report: tuple[str, list[Path]]) -> None:
    text, _ = report
    failed = text.split("## Failed runs", 1)[1]
    assert "tiny_text-lm-transformer-char-s0" in failed
    assert ERROR.splitlines()[0] in failed and "Traceback" not in failed
    assert "retries" in failed
    assert "| transformer | char |" not in text  # a failed run contributes no table row


def test_tokenizer_table(report: tuple[str, list[Path]]) -> None:
    text, _ = report
    assert "| dna_motifs | kmer_k3 | 68 | 0.333 | 120.0 | 120 | 136 | 140 | 0.42 |" in text
    assert "| tiny_text | bpe | 2,048 | — | 122.4 | 110 | 290 | 950 | — |" in text


def test_three_pngs_are_written_and_linked(report: tuple[str, list[Path]], tmp_path: Path) -> None:
    text, paths = report
    names = ["learning_curves.png", "metrics.png", "tokenizers.png"]
    assert paths == [tmp_path / "report.md", *(tmp_path / "plots" / n for n in names)]
    for name in names:
        data = (tmp_path / "plots" / name).read_bytes()
        assert len(data) > 1000 and data.startswith(PNG)
        assert f"](plots/{name})" in text


def test_tokenizer_only_report(tmp_path: Path) -> None:
    paths = write_tokenizer_report(tmp_path, TOKENIZERS, META)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert paths == [tmp_path / "report.md", tmp_path / "plots" / "tokenizers.png"]
    assert "## Tokenizers" in text and "](plots/tokenizers.png)" in text
    for absent in ("## By domain", "## By backbone", "## Failed runs", "metrics.png", "learning_curves.png"):
        assert absent not in text
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["tokenizers.png"]
    assert (tmp_path / "plots" / "tokenizers.png").read_bytes().startswith(PNG)


def test_single_seed_shows_values_alone(tmp_path: Path) -> None:
    results = _results([0])
    write_report(tmp_path, results, TOKENIZERS, _curves(results), {**META, "seeds": [0]})
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "±" not in text and "one seed" in text
    assert "**0.800**" in _row(text, "### dna — dna_motifs (classify)", "| transformer | kmer_k3 |")


def test_missing_curves_skip_the_learning_curve_plot(tmp_path: Path) -> None:
    paths = write_report(tmp_path, _results([0, 1]), TOKENIZERS, {}, META)
    assert [p.name for p in paths] == ["report.md", "metrics.png", "tokenizers.png"]
    assert "learning_curves.png" not in (tmp_path / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("task", "rows", "expected"),
    [
        ("classify", [], ("val_acc", True)),
        ("regress", [], ("val_rmse", False)),
        ("lm", [{"val_bits_per_byte": 1.2, "val_bits_per_token": 4.0}], ("val_bits_per_byte", False)),
        ("lm", [{"val_bits_per_byte": "", "val_bits_per_token": 4.0}], ("val_bits_per_token", False)),
        ("mlm", [], ("val_loss", False)),
    ],
    ids=["classify", "regress", "lm-bytes", "lm-no-bytes", "mlm"],
)
def test_primary_metric(task: str, rows: list[dict[str, Any]], expected: tuple[str, bool]) -> None:
    assert primary_metric(task, rows) == expected
