"""Cross-domain comparisons: one config, a grid of ordinary `fit` runs, one report.

`config.py` turns a YAML file into the grid (datasets x backbones x tokenizers x seeds, one budget);
`runner.py` runs each cell in its own folder and skips finished ones; `tokstats.py` measures the
tokenizers; `report.py` writes report.md and the plots from the runs' own logged numbers.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Sequence
from typing import Any

from polyseq.compare.config import CompareConfig, RunSpec, load_config
from polyseq.errors import PolyseqError


def machine() -> str:
    """What the numbers were measured on, in one line."""
    import pytorch_lightning as pl
    import torch

    cpu = f"{os.cpu_count()} CPU cores ({torch.get_num_threads()} torch thread(s)), {platform.machine()}"
    device = f"{torch.cuda.get_device_name(0)}; {cpu}" if torch.cuda.is_available() else cpu
    return f"{device}, Python {platform.python_version()}, torch {torch.__version__}, Lightning {pl.__version__}"


def meta(cfg: CompareConfig, command: str) -> dict[str, Any]:
    return {"config": str(cfg.path), "name": cfg.name, "budget": cfg.budget.describe(), "machine": machine(),
            "date": time.strftime("%Y-%m-%d"), "command": command, "seeds": cfg.seeds, "notes": cfg.notes}


def tokenizer_table(cfg: CompareConfig, say: Callable[[str], None] = print) -> list[dict[str, Any]]:
    from polyseq.compare.tokstats import tokenizer_stats, write_tokenizers_csv

    rows: list[dict[str, Any]] = []
    line: dict[str, list[str]] = {}  # dataset -> its tokenizers in words: one printed line per dataset
    for spec in cfg.tokenizer_variants():
        try:
            rows.append(tokenizer_stats(spec))
        except PolyseqError as e:  # its runs will fail with the same message and be reported
            say(f"tokenizer {spec.dataset}/{spec.tokenizer}: not measured: {e}")
            continue
        line.setdefault(spec.dataset, []).append(
            f"{spec.tokenizer} (vocabulary {rows[-1]['vocab_size']}, {rows[-1]['tokens']} train tokens)")
    for dataset, parts in line.items():
        say(f"tokenizers of {dataset}: {', '.join(parts)}")
    cfg.output.mkdir(parents=True, exist_ok=True)
    write_tokenizers_csv(cfg.output / "tokenizers.csv", rows)
    return rows


def compare(cfg: CompareConfig, *, command: str, tokenizers_only: bool = False, only: Sequence[RunSpec] | None = None,
            jobs: int = 1, child_argv: Sequence[str] = (), say: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure the tokenizers, run the unfinished cells, write results.csv, report.md and plots."""
    from polyseq.compare import report
    from polyseq.compare.runner import read_result, run_grid

    tokenizers = tokenizer_table(cfg, say)
    info = meta(cfg, command)
    if tokenizers_only:
        written = report.write_tokenizer_report(cfg.output, tokenizers, info)
        return {"tokenizers": tokenizers, "written": written}
    specs = list(only if only is not None else cfg.runs)
    results = run_grid(cfg, specs, jobs=jobs, child_argv=child_argv, say=say)
    # the report covers every finished run of the grid, also those an earlier `--only` ran
    ordered = [r for s in cfg.runs if (r := results.get(s.run_id) or read_result(cfg, s)) is not None]
    written = report.write_report(cfg.output, [r["row"] for r in ordered], tokenizers,
                                  {r["row"]["run_id"]: r["curve"] for r in ordered}, info)
    return {"results": results, "tokenizers": tokenizers, "written": written}


__all__ = ["CompareConfig", "RunSpec", "compare", "load_config"]
