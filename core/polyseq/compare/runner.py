"""Run the grid: each cell an ordinary `polyseq fit`, in its own folder, skipped once finished.

Layout of the output folder:

    runs/<run_id>/fit.yaml         the run's `polyseq fit` config (`polyseq fit --config` repeats it)
    runs/<run_id>/log.txt          all the run printed: Lightning's progress bars and model summary,
                                   warnings, log records, and the traceback of a failed run
    runs/<run_id>/metrics.csv      Lightning's CSV log: the learning curve and the final validation
    runs/<run_id>/checkpoints/     last.ckpt (the final weights) and the best on val/loss (or budget.checkpoint_on)
    runs/<run_id>/result.json      written last, atomically: the run is finished; its row has the
                                   final validation (`val_*`) and, where the data has a test split,
                                   the test split scored with the best checkpoint (`test_*`)
    results.csv                    one row per run, rewritten atomically after every run

A run folder without result.json (killed midway), or whose result was made from a different
config, is removed and the run starts again from step 0; a finished run is never redone.

The terminal gets one line per finished run (its primary metric and time, or why it failed and
where its log is) under one overall progress bar; with stderr not a terminal, plain lines only.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl

from polyseq.compare.config import CompareConfig, RunSpec
from polyseq.compare.report import primary_metric
from polyseq.data import write_text_atomically

log = logging.getLogger("polyseq.compare")
FIXED_COLUMNS = ("run_id", "dataset", "domain", "task", "backbone", "tokenizer", "seed", "status", "params",
                 "vocab_size", "steps", "tokens", "train_time_s", "tokens_per_s", "val_loss")


class RunMeter(pl.Callback):
    """Training tokens (non-padding) and training wall time, validation time excluded."""

    def __init__(self) -> None:
        self.tokens = 0
        self._count: Any = 0  # a device tensor once counted: no host sync per step
        self.train_s = 0.0
        self._start = 0.0
        self._val_start = 0.0

    def on_train_start(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self._start = time.perf_counter()

    def on_validation_start(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self._val_start = time.perf_counter()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        if trainer.training:
            self._start += time.perf_counter() - self._val_start

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        mask = batch.get("attention_mask")
        self._count = self._count + (mask.sum() if mask is not None else batch["input_ids"].numel())

    def on_train_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self.train_s = time.perf_counter() - self._start
        self.tokens = int(self._count)


def run_dir(cfg: CompareConfig, spec: RunSpec) -> Path:
    return cfg.output / "runs" / spec.run_id


def log_path(cfg: CompareConfig, spec: RunSpec) -> Path:
    return run_dir(cfg, spec) / "log.txt"


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Everything printed inside goes to `path`: stdout and stderr (progress bars, the model summary,
    warnings) and the records of the root and Lightning loggers; a traceback escaping is written too."""
    loggers = [logging.getLogger(name) for name in ("", "pytorch_lightning", "lightning_fabric", "lightning")]
    with open(path, "a", encoding="utf-8") as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        handler = logging.StreamHandler(f)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        saved = [(logger, logger.handlers) for logger in loggers]
        for logger in loggers:
            logger.handlers = [handler] if logger.handlers or logger is loggers[0] else []
        try:
            yield
        except BaseException:
            f.write(traceback.format_exc())
            raise
        finally:
            for logger, handlers in saved:
                logger.handlers = handlers


def read_result(cfg: CompareConfig, spec: RunSpec) -> dict[str, Any] | None:
    """The run's result if it finished with this very config, else None."""
    path = run_dir(cfg, spec) / "result.json"
    if not path.exists():
        return None
    result = json.loads(path.read_text())
    return result if result.get("digest") == spec.digest else None


def fit_config(cfg: CompareConfig, spec: RunSpec, folder: Path) -> dict[str, Any]:
    """The run's `polyseq fit` config: its cell of the grid plus the budget, logging and checkpoints."""
    fit = copy.deepcopy(spec.fit)
    budget = cfg.budget
    trainer = fit["trainer"]
    trainer.setdefault("num_sanity_val_steps", 0)  # the grid validates often enough
    trainer.update(
        max_steps=budget.steps or -1, max_epochs=-1, val_check_interval=budget.eval_every, check_val_every_n_epoch=None,
        log_every_n_steps=max(1, budget.eval_every // 5), default_root_dir=str(folder),
        logger={"class_path": "pytorch_lightning.loggers.CSVLogger",
                "init_args": {"save_dir": str(folder), "name": "", "version": ""}},  # checkpoints/ beside metrics.csv
    )
    if budget.minutes:
        trainer["max_time"] = {"seconds": round(budget.minutes * 60)}
    return fit


def learning_curve(metrics_csv: Path, tokens_per_step: float) -> list[dict[str, Any]]:
    """Lightning's metrics.csv -> points {step, tokens, train_loss, val_loss} in step order."""
    points = []
    with open(metrics_csv, newline="") as f:
        for row in csv.DictReader(f):
            train, val = row.get("train/loss_step") or None, row.get("val/loss") or None
            if train is None and val is None:
                continue
            step = int(row["step"])
            points.append({"step": step, "tokens": round(step * tokens_per_step),
                           "train_loss": float(train) if train else None, "val_loss": float(val) if val else None})
    return points


def run_one(cfg: CompareConfig, spec: RunSpec) -> dict[str, Any]:
    """Train and validate one cell from step 0, its output in its log.txt; returns (and writes) its result."""
    folder = run_dir(cfg, spec)
    if folder.exists():
        shutil.rmtree(folder)  # a half-finished or outdated run restarts cleanly
    folder.mkdir(parents=True)
    with output_to(log_path(cfg, spec)):
        if spec.baseline:  # a classical model fitted on the same split: no training loop
            from polyseq.baselines.grid import run_cell

            return run_cell(spec, folder)
        return _train(cfg, spec, folder)


def _train(cfg: CompareConfig, spec: RunSpec, folder: Path) -> dict[str, Any]:
    import yaml

    from polyseq.training.callbacks import SampleMetrics, ValidateAtLastStep
    from polyseq.training.cli import build, default_checkpoint

    # the folder holds fit.yaml and log.txt, written here; Lightning would warn that it "is not empty"
    warnings.filterwarnings("ignore", message="Experiment logs directory .* exists and is not empty")
    fit = fit_config(cfg, spec, folder)
    (folder / "fit.yaml").write_text(f"# {spec.run_id}: one run of `polyseq compare {cfg.path}`\n"
                                     + yaml.safe_dump(fit, sort_keys=False))
    # `fit`'s own checkpointing; generated samples are judged once, on the final weights, not at every validation
    cli = build(["--config", str(folder / "fit.yaml")], run=False, callbacks=[default_checkpoint(), ValidateAtLastStep()])
    trainer, model, data = cli.trainer, cli.model, cli.datamodule
    meter = RunMeter()
    trainer.callbacks.append(meter)
    trainer.fit(model, datamodule=data)
    if model.task.generates:
        trainer.callbacks.append(SampleMetrics())
    final = trainer.validate(model, datamodule=data, verbose=False)[0]
    row: dict[str, Any] = {
        "run_id": spec.run_id, "dataset": spec.dataset, "domain": spec.domain, "task": spec.task,
        "backbone": spec.backbone, "tokenizer": spec.tokenizer, "seed": spec.seed, "status": "finished",
        "params": sum(p.numel() for p in model.parameters()), "vocab_size": int(model.info.vocab_size),
        "steps": trainer.global_step, "tokens": meter.tokens, "train_time_s": round(meter.train_s, 3),
        "tokens_per_s": round(meter.tokens / meter.train_s, 1) if meter.train_s else None,
    }
    row.update({"val_" + k.split("/", 1)[1]: float(v) for k, v in sorted(final.items()) if k.startswith("val/")})
    callback = trainer.checkpoint_callback
    if getattr(callback, "best_model_score", None) is not None:  # what the tested checkpoint was chosen by
        row["chosen_" + callback.monitor.replace("/", "_")] = float(callback.best_model_score)
    if "test" in data.datasets:  # a test split: scored once, with the checkpoint chosen on validation
        best = getattr(callback, "best_model_path", "")
        tested = trainer.test(model, datamodule=data, ckpt_path="best" if best else None, verbose=False,
                              weights_only=True)[0]
        row.update({"test_" + k.split("/", 1)[1]: float(v) for k, v in sorted(tested.items()) if k.startswith("test/")})
    curve = learning_curve(folder / "metrics.csv", meter.tokens / max(1, trainer.global_step))
    result = {"digest": spec.digest, "row": row, "curve": curve, "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
    write_json(folder / "result.json", result)
    return result


def write_json(path: Path, value: Any) -> None:
    write_text_atomically(path, json.dumps(value, indent=1))


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """A whole CSV or none: written under a temporary name, then renamed."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomically(path, buf.getvalue())


def failed_result(spec: RunSpec, error: BaseException) -> dict[str, Any]:
    message = f"{type(error).__name__}: {error}".strip()
    row = {"run_id": spec.run_id, "dataset": spec.dataset, "domain": spec.domain, "task": spec.task,
           "backbone": spec.backbone, "tokenizer": spec.tokenizer, "seed": spec.seed, "status": "failed",
           "error": message.splitlines()[0] if message else type(error).__name__}
    return {"digest": spec.digest, "row": row, "curve": []}


def write_results_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """One row per run in grid order: fixed columns, then every metric any run logged, then error."""
    extra = sorted({k for r in rows for k in r} - set(FIXED_COLUMNS) - {"error"})
    write_csv(path, [*FIXED_COLUMNS, *extra, "error"], rows)


def collect_rows(cfg: CompareConfig, results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The row of every run of the grid that has a result (this invocation's or an earlier one's)."""
    rows = []
    for spec in cfg.runs:
        result = results.get(spec.run_id) or read_result(cfg, spec)
        if result is not None:
            rows.append(result["row"])
    return rows


def outcome(spec: RunSpec, result: dict[str, Any]) -> str:
    """A run's result in a few words: its primary metric (then val loss), or its error."""
    row = result["row"]
    if row["status"] != "finished":
        return row.get("error") or "failed"
    key, _ = primary_metric(spec.task, [row])
    shown = [k for k in dict.fromkeys((key, "val_loss")) if isinstance(row.get(k), float)]
    return ", ".join(f"{k.removeprefix('val_')} {row[k]:.4g}" for k in shown) or "no validation metric"


class Progress:
    """One overall progress bar on a terminal (tqdm), the lines printed above it; plain lines elsewhere."""

    def __init__(self, total: int, done: int, say: Callable[[str], None]) -> None:
        from tqdm import tqdm

        self.say, self.tqdm = say, tqdm
        self.bar = tqdm(total=total, initial=done, unit="run", desc="polyseq compare", file=sys.stderr,
                        disable=not sys.stderr.isatty(), dynamic_ncols=True, leave=False)

    def line(self, text: str) -> None:
        with self.tqdm.external_write_mode(file=sys.stderr):
            self.say(text)

    def step(self, text: str) -> None:
        self.line(text)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def run_grid(cfg: CompareConfig, specs: Sequence[RunSpec], *, jobs: int = 1, child_argv: Sequence[str] = (),
             say: Callable[[str], None] = print) -> dict[str, dict[str, Any]]:
    """Run every unfinished spec (in this process, or `jobs` child processes); results by run_id."""
    results: dict[str, dict[str, Any]] = {}
    pending = []
    for spec in specs:
        done = read_result(cfg, spec)
        if done is not None:
            results[spec.run_id] = done
        else:
            pending.append(spec)
    n, skipped = len(specs), len(specs) - len(pending)
    if skipped:
        say(f"{skipped} of {n} run(s) already finished in {cfg.output / 'runs'}: skipped")
    if not pending:
        return results
    progress = Progress(n, skipped, say)

    def finished(spec: RunSpec, result: dict[str, Any], seconds: float, log: Path) -> None:
        results[spec.run_id] = result
        write_results_csv(cfg.output / "results.csv", collect_rows(cfg, results))
        status = result["row"]["status"]
        where = f" (log: {log})" if status != "finished" else ""
        progress.step(f"[{len(results)}/{n}] {spec.run_id}: {status} in {seconds:.0f} s, {outcome(spec, result)}{where}")

    try:
        if jobs <= 1:
            for spec in pending:
                start = time.perf_counter()
                try:
                    result = run_one(cfg, spec)
                except Exception as e:  # one broken cell must not stop the grid; its traceback is kept
                    run_dir(cfg, spec).mkdir(parents=True, exist_ok=True)
                    (run_dir(cfg, spec) / "error.txt").write_text(traceback.format_exc())
                    result = failed_result(spec, e)
                finished(spec, result, time.perf_counter() - start, log_path(cfg, spec))
        else:
            _run_children(cfg, pending, jobs, child_argv, finished)
    finally:
        progress.close()
    return results


def _gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _run_children(cfg: CompareConfig, pending: Sequence[RunSpec], jobs: int, child_argv: Sequence[str],
                  finished: Callable[[RunSpec, dict[str, Any], float, Path], None]) -> None:
    """`jobs` runs at a time, each `polyseq compare --run-one ID` in its own process: one GPU each
    when there are GPUs, else an equal share of the CPU threads. A run prints into its log.txt; what
    a child prints outside it (a crash before the run starts) goes to runs/<run_id>.log."""
    gpus = _gpu_count()
    slots = list(range(jobs))
    queue = list(pending)
    running: dict[subprocess.Popen, tuple[RunSpec, int, float, Any]] = {}
    try:
        while queue or running:
            while queue and slots:
                spec, slot = queue.pop(0), slots.pop(0)
                env = dict(os.environ)
                if gpus:
                    env["CUDA_VISIBLE_DEVICES"] = str(slot % gpus)
                else:
                    env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // jobs))
                folder = run_dir(cfg, spec)
                folder.parent.mkdir(parents=True, exist_ok=True)
                out = open(folder.parent / f"{spec.run_id}.log", "w")
                cmd = [sys.executable, "-m", "polyseq", "compare", str(cfg.path), *child_argv, "--run-one", spec.run_id]
                running[subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)] = (spec, slot, time.perf_counter(), out)
            time.sleep(0.2)
            for proc in [p for p in running if p.poll() is not None]:
                spec, slot, start, out = running.pop(proc)
                out.close()
                slots.append(slot)
                result = read_result(cfg, spec)
                log = log_path(cfg, spec) if log_path(cfg, spec).exists() else Path(out.name)
                if result is None:
                    tail = Path(out.name).read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
                    result = failed_result(spec, RuntimeError(f"exit status {proc.returncode}: {tail[0]}"))
                else:
                    Path(out.name).unlink(missing_ok=True)  # nothing escaped the run's own log.txt
                finished(spec, result, time.perf_counter() - start, log)
    finally:
        for proc in running:
            proc.terminate()
