"""The comparison reports committed in docs/ are what their own results.csv renders to: no hand edits."""

import csv
import json
from pathlib import Path

import pytest

from polyseq.compare.report import write_report

DOCS = Path(__file__).resolve().parents[2] / "docs" / "compare"


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def tables(report: str) -> str:
    return report[report.index("## By domain"):report.index("## Plots")]


@pytest.mark.parametrize("name", ["quick", "real", "tag_sweep", "bbbp", "bbbp_recipe", "esol_recipe", "bbbp_encoder"])
def test_committed_report_tables_are_its_results_csv(name, tmp_path):
    folder = DOCS / name
    results = read_csv(folder / "results.csv")
    tokenizers = [{**t, "len_q": json.loads(t["len_q"])} for t in read_csv(folder / "tokenizers.csv")]
    assert results and {r["status"] for r in results} == {"finished"}
    seeds = sorted({int(r["seed"]) for r in results})
    write_report(tmp_path, results, tokenizers, {}, {"name": name, "seeds": seeds})
    assert tables((tmp_path / "report.md").read_text()) == tables((folder / "report.md").read_text())
    for plot in ("learning_curves", "metrics", "tokenizers"):
        assert (folder / "plots" / f"{plot}.png").read_bytes()[:4] == b"\x89PNG"
