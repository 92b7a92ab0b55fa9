"""A baseline as a row of `polyseq compare`: fitted on the cell's data keys, scored on the val split.

The row has the neural rows' columns: `val_<metric>` from the task's metric code (and `test_<metric>`
when the data has a test split), `train_time_s` the fitting time; params, tokens and steps are empty
(a baseline has no training budget). Written as the run folder's result.json like any run, so a
finished baseline row is skipped on the next `polyseq compare` too; `baseline.json` beside it holds
its configuration and split sizes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def run_cell(spec: Any, folder: Path) -> dict[str, Any]:
    """Fit and score the baseline of `spec` (a RunSpec with `baseline` set); write and return its result."""
    from polyseq.baselines.run import data_module, fit_on, make_baseline, score
    from polyseq.data import write_text_atomically

    options = spec.fit["baseline"]["options"]
    baseline = make_baseline(spec.baseline, options, seed=spec.seed)
    fitted = fit_on(data_module(dict(spec.fit["data"])), baseline)
    row: dict[str, Any] = {
        "run_id": spec.run_id, "dataset": spec.dataset, "domain": spec.domain, "task": spec.task,
        "backbone": spec.backbone, "tokenizer": spec.tokenizer, "seed": spec.seed, "status": "finished",
        "train_time_s": round(fitted.train_s, 3),
    }
    for split in ("val", "test"):
        if split in fitted.records:
            row.update({f"{split}_{k}": v for k, v in sorted(score(fitted, split).items())})
    (folder / "baseline.json").write_text(json.dumps({"baseline": baseline.config(), "data": spec.fit["data"],
                                                      "split_sizes": fitted.split_sizes}, indent=1, default=str))
    result = {"digest": spec.digest, "row": row, "curve": [], "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
    write_text_atomically(folder / "result.json", json.dumps(result, indent=1))
    return result
