"""A finished `polyseq fit` run's folder: finding it, its config and checkpoint, and its model's
predictions on the validation split rebuilt from that config (what `polyseq plot` draws from).

The validation split is read by the run's data module (same files, split and seed, from config.yaml);
the targets are the task's own (`prepare_targets`), the predictions the rows of `polyseq predict`,
and the task object says which kind of result it has (`Task.result_plot`), never its name.
"""

from __future__ import annotations

import glob
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyseq.errors import PolyseqError

RUN_FILES = ("metrics.csv", "config.yaml", "checkpoints")


@dataclass
class Run:
    folder: Path  # the version folder: metrics.csv, config.yaml, checkpoints/
    notes: list[str] = field(default_factory=list)  # what was chosen or skipped, one line each

    @property
    def metrics(self) -> Path:
        return self.folder / "metrics.csv"

    @property
    def config(self) -> Path:
        return self.folder / "config.yaml"


# ---- finding the run ---------------------------------------------------------------------------


def _is_run(path: Path) -> bool:
    return any((path / name).exists() for name in RUN_FILES)


def _written(path: Path) -> tuple[float, int]:
    """When a run last wrote (its newest file), then its version number: the newest run sorts last."""
    times = [p.stat().st_mtime for p in (path, *(path / n for n in RUN_FILES)) if p.exists()]
    number = re.search(r"(\d+)$", path.name)
    return max(times), int(number.group(1)) if number else -1


def find_run(path: str | Path) -> Run:
    """A version folder, or the newest version_N below the folder given (its parent, or the logger's root)."""
    path = Path(path)
    if not path.is_dir():
        raise PolyseqError(f"{path}: no such folder; give the run folder `polyseq fit` printed (e.g. runs/lightning_logs/version_0)")
    if _is_run(path):
        return Run(path)
    candidates = [p for p in [*path.glob("version_*"), *path.glob("*/version_*")] if p.is_dir() and _is_run(p)]
    if not candidates:
        raise PolyseqError(f"{path}: not a polyseq run (no metrics.csv, config.yaml or checkpoints/ in it or in a "
                           "version_N folder below it); give the folder `polyseq fit` wrote, e.g. runs/lightning_logs/version_0")
    newest = max(candidates, key=_written)
    what = f"the newest of {len(candidates)} runs" if len(candidates) > 1 else "its only run"
    return Run(newest, [f"{path}: plotting {what}, {newest.relative_to(path)}"])


# ---- the model on its validation split ----------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    kind: str  # the task's result_plot: "classes" or "values"
    names: tuple[str, ...]  # class labels or target names
    predictions: Any  # (N, K) class probabilities or (N, D) predicted values (numpy)
    targets: Any  # (N,) class ids or (N, D) true values (numpy)
    checkpoint: Path


def read_config(run: Run) -> dict[str, Any] | None:
    """The `data:` section of the run's config.yaml (None when the run has no config.yaml)."""
    import yaml

    if not run.config.is_file():
        return None
    try:
        config = yaml.safe_load(run.config.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise PolyseqError(f"{run.config}: not valid YAML ({str(e).splitlines()[0]}); it should be the config `polyseq fit` saved") from None
    if not isinstance(config, dict) or not isinstance(config.get("data"), dict):
        raise PolyseqError(f"{run.config}: has no data: section; it should be the config `polyseq fit` saved")
    return config["data"]


def find_checkpoint(run: Run) -> Path | None:
    """The best checkpoint (`best-*.ckpt`, ModelCheckpoint's monitored one), else last.ckpt, else the newest .ckpt."""
    folder = run.folder / "checkpoints"
    found = sorted(folder.glob("*.ckpt"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    for chosen in ([p for p in found if p.name.startswith("best")], [p for p in found if p.name == "last.ckpt"], found):
        if chosen:
            return chosen[-1]
    return None


def evaluate(run: Run, checkpoint: str | Path | None = None, batch_size: int = 64) -> Evaluation | None:
    """The run's model on its validation split, or None when its task draws no result plot."""
    from polyseq.tasks import get_task

    data = read_config(run)
    if data is None:
        run.notes.append(f"{run.folder}: no config.yaml, so no validation split to predict on: curves only")
        return None
    task = get_task(str(data.get("task") or "lm"))
    if task.result_plot is None:
        run.notes.append(f"{run.folder}: a {task.name!r} run: curves only (the task draws no result plot)")
        return None
    flag = "--ckpt" if checkpoint is not None else "checkpoint"
    checkpoint = Path(checkpoint) if checkpoint is not None else find_checkpoint(run)
    if checkpoint is None:
        raise PolyseqError(f"{run.folder}: no checkpoint in checkpoints/ to evaluate the {task.name!r} model with "
                           "(was checkpointing off?); give one with --ckpt, or --curves-only")
    from polyseq.training.pretrained import load_checked

    model = load_checked(checkpoint, flag)
    if model.task.result_plot != task.result_plot:
        raise PolyseqError(f"{flag} {checkpoint}: a {model.task.name!r} model, but {run.config} trained "
                           f"--data.task={task.name}; give a checkpoint of this run")
    records, targets = split_records(run, data, model, "val")
    return Evaluation(model.task.result_plot, _names(model), _predict(model, records, batch_size), targets, checkpoint)


def _names(model: Any) -> tuple[str, ...]:
    return tuple(model.info.labels if model.task.result_plot == "classes" else model.info.target_names)


def split_records(run: Run, data: dict[str, Any], model: Any, split: str) -> tuple[list[Any], Any]:
    """The `split` records of the run's data module (same files, split and seed: its `data` section
    from config.yaml) and the task's targets for them."""
    import numpy as np

    from polyseq.data.module import SequenceDataModule

    name = {"val": "validation", "test": "test"}.get(split, split)
    accepted = inspect.signature(SequenceDataModule.__init__).parameters
    options = {k: _located(v, k, run) for k, v in data.items() if k in accepted}
    try:
        datamodule = SequenceDataModule(**options)
        records = datamodule.read_split_records()
        if not records.get(split):
            raise PolyseqError(f"the data module has no {name} split"
                               + (" (the run had two split_fractions)" if split == "test" else ""))
        targets, target_info = model.task.prepare_targets(records, model.tokenizer(), datamodule)
    except PolyseqError as e:
        raise PolyseqError(f"{run.config}: rebuilding the {name} split: {e}") from None
    for key in ("labels", "target_names"):
        if key in target_info and tuple(target_info[key]) != tuple(getattr(model.info, key)):
            raise PolyseqError(f"{run.config}: the data now gives {key} {list(target_info[key])} but the checkpoint was "
                               f"trained with {list(getattr(model.info, key))}; the data files changed since the run")
    return records[split], np.asarray(targets[split])


def _located(value: Any, key: str, run: Run) -> Any:
    """A relative data path of the config, found from the current folder or else from a folder above the run."""
    if key not in ("train", "val", "test", "tokenizer_file", "tokenizer_from") or value is None:
        return value
    if isinstance(value, list):
        return [_located(v, key, run) for v in value]
    path = Path(str(value)).expanduser()
    if path.is_absolute() or _matches(path):
        return value
    for base in run.folder.resolve().parents:
        if _matches(base / path):
            return str(base / path)
    return value  # the data module's own error names --data.<key> and the path


def _matches(path: Path) -> bool:
    """The file exists, or the glob pattern matches one (the data module's `train: data/*.csv`)."""
    return bool(glob.glob(str(path))) if glob.has_magic(str(path)) else path.exists()


def _predict(model: Any, records: list[Any], batch_size: int) -> Any:
    """(N, K) probabilities (columns prob_<label>) or (N, D) values (pred_<name>) from the task's predict rows."""
    import numpy as np

    task, tokenizer, info = model.task, model.tokenizer(), model.info
    columns = [f"{'prob' if task.result_plot == 'classes' else 'pred'}_{n}" for n in _names(model)]
    collate = task.collate(info, {})
    rows: list[dict[str, Any]] = []
    for start in range(0, len(records), batch_size):
        items = [task.inference_item(r.sample, tokenizer, info) for r in records[start:start + batch_size]]
        rows += model.predict_rows(collate(items))
    missing = [c for c in columns if rows and c not in rows[0]]
    if missing:
        raise PolyseqError(f"task {task.name!r} has result_plot={task.result_plot!r} but its predict rows lack {missing}")
    return np.array([[row[c] for c in columns] for row in rows], dtype=np.float64)
