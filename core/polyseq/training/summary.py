"""What `polyseq fit | validate | test` prints when it ends: what the run reached and how to use it.

Printed whatever the progress bar and logger settings are, on the global-zero process only::

    polyseq fit: 400 steps, 3 epoch(s). best val/loss 0.412 (epoch 2: val/loss 0.412, val/acc 0.861)
      last (epoch 2): val/loss 0.415, val/acc 0.858
      test: test/loss 0.420, test/acc 0.850          (with --test_after_fit true: the best checkpoint's)
      checkpoint: runs/lightning_logs/version_0/checkpoints/best-2-400.ckpt (best val/loss; last: .../last.ckpt)
      use it:     polyseq predict --ckpt runs/.../best-2-400.ckpt --input FILE --out predictions.csv

`polyseq validate | test` print one line of the metrics they logged.
"""

from __future__ import annotations

import csv
import math
import shlex
from pathlib import Path
from typing import Any


def _number(value: Any) -> float | None:
    try:
        x = float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _metrics_line(metrics: dict[str, float], first: str | None = None, limit: int = 6) -> str:
    names = sorted(metrics, key=lambda k: (k != first, k))[:limit]
    return ", ".join(f"{k} {metrics[k]:.4g}" for k in names)


def _logged_rows(trainer: Any) -> list[dict[str, str]]:
    """The rows of the CSV logger's metrics.csv (empty when there is no CSV logger)."""
    from pytorch_lightning.loggers import CSVLogger

    for logger in trainer.loggers:
        if isinstance(logger, CSVLogger):
            path = Path(logger.log_dir) / "metrics.csv"
            if path.is_file():
                with open(path, newline="", encoding="utf-8") as f:
                    return list(csv.DictReader(f))
    return []


def _stage_rows(rows: list[dict[str, str]], stage: str) -> list[dict[str, float]]:
    """Per logged row, the `<stage>/...` metrics that have a value."""
    out = []
    for row in rows:
        values = {k: _number(v) for k, v in row.items() if k.startswith(stage + "/") and v not in ("", None)}
        values = {k: v for k, v in values.items() if v is not None}
        if values:
            values["epoch"] = _number(row.get("epoch")) or 0.0
            out.append(values)
    return out


def _epoch(row: dict[str, float]) -> str:
    """`epoch N: ` for a logged row (the CSV logger records the epoch), else nothing."""
    return f"epoch {int(row['epoch'])}: " if "epoch" in row else ""


def use_command(task: Any, checkpoint: str) -> str:
    """The command that uses `checkpoint`: `polyseq generate` for generating tasks, else `predict`."""
    ckpt = shlex.quote(checkpoint)
    if getattr(task, "generates", None) == "prompt":
        return f"polyseq generate --ckpt {ckpt} -n 5 --out samples.txt"
    if getattr(task, "generates", None) == "input":
        return f"polyseq predict --ckpt {ckpt} --input FILE --out predictions.csv --beam-size 4"
    return f"polyseq predict --ckpt {ckpt} --input FILE --out predictions.csv"


def run_summary(trainer: Any, model: Any, command: str, test: dict[str, Any] | None = None) -> str:
    """The lines printed at the end of `polyseq <command>`; `test`: the metrics of a test after fit."""
    lines = []
    rows = _logged_rows(trainer)
    callback = trainer.checkpoint_callback
    monitor = getattr(callback, "monitor", None) or "val/loss"
    mode = getattr(callback, "mode", "min")
    if command == "fit":
        head = f"polyseq fit: {trainer.global_step} steps, {trainer.current_epoch} epoch(s)"
        val = _stage_rows(rows, "val")
        if not val:  # no CSV logger: what the trainer holds of the last validation
            last = {k: _number(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
            val = [{k: v for k, v in last.items() if v is not None}] if any(v is not None for v in last.values()) else []
        with_monitor = [r for r in val if monitor in r]
        if with_monitor:
            pick = min if mode == "min" else max
            best = pick(with_monitor, key=lambda r: r[monitor])
            best_metrics = {k: v for k, v in best.items() if k != "epoch"}
            head += f". best {monitor} {best[monitor]:.4g} ({_epoch(best)}{_metrics_line(best_metrics, monitor)})"
            last = {k: v for k, v in val[-1].items() if k != "epoch"}
            when = f" (epoch {int(val[-1]['epoch'])})" if "epoch" in val[-1] else ""
            lines += [head, f"  last{when}: {_metrics_line(last, monitor)}"]
        else:
            lines.append(head + ". no validation ran (give --data.val, or a dataset with a validation split)")
        tested = {k: _number(v) for k, v in (test or {}).items()}
        tested = {k: v for k, v in tested.items() if v is not None}
        if tested:
            lines.append(f"  test: {_metrics_line(tested, 'test/loss', limit=12)}")
    else:
        logged = {k: _number(v) for k, v in trainer.callback_metrics.items() if k.startswith(("val/", "test/"))}
        logged = {k: v for k, v in logged.items() if v is not None}
        lines.append(f"polyseq {command}: " + (_metrics_line(logged, limit=12) if logged else "no metrics logged"))
    if command == "fit" and callback is not None:
        best_path = getattr(callback, "best_model_path", "") or ""
        last_path = getattr(callback, "last_model_path", "") or ""
        chosen = best_path or last_path
        if chosen:
            extra = f" (best {monitor}; last: {last_path})" if best_path and last_path and last_path != best_path else ""
            lines.append(f"  checkpoint: {chosen}{extra}")
            lines.append(f"  use it:     {use_command(getattr(model, 'task', None), chosen)}")
        else:
            lines.append("  no checkpoint was written (checkpointing is off)")
    return "\n".join(lines)
