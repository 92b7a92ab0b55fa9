"""Plots of a finished `polyseq fit` run, for a user who would rather look than read (`polyseq plot`).

From the run's metrics.csv (whatever columns it has, against the step):
    loss.png            every loss column (train per step and per epoch, val, test)
    metrics.png         the other metrics, one panel per metric, a line per stage
    learning_rate.png   the learning-rate column(s), when the run logged one (e.g. LearningRateMonitor's lr-AdamW)
    throughput.png      the tokens-per-second column(s), when the run logged one
and, when the run's task has a `result_plot`, from its best (else last) checkpoint run over the
validation split rebuilt from the run's config.yaml:
    confusion_matrix.png, roc.png   ("classes": counts per true/predicted class; ROC with AUROC)
    predicted_vs_true.png           ("values": one panel per target, R² and RMSE in the title)

The task object says which (never its name); predictions are the rows of `polyseq predict`.
Every drawing function returns the numbers it drew (`Plot.numbers`), so tests check them against
an independent computation. matplotlib is imported only when drawing (Agg backend, files only).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyseq.errors import PolyseqError
from polyseq.views.run_folder import Evaluation, Run, evaluate, find_run

__all__ = ["Evaluation", "Plot", "Run", "plot_classes", "plot_curves", "plot_run", "plot_values", "read_metrics"]

#: a learning-rate column: `lr-AdamW`, `lr`, `train/lr`, `learning_rate`...
LR_COLUMN = re.compile(r"(^|[/_-])(lr|learning_rate)([/_-]|$)", re.IGNORECASE)
THROUGHPUT_MARK = "tokens_per_s"


@dataclass(frozen=True)
class Plot:
    path: Path
    numbers: Mapping[str, Any]  # what the image shows, as numbers


# ---- curves from metrics.csv ---------------------------------------------------------------------


def read_metrics(path: Path) -> dict[str, list[tuple[float, float]]]:
    """column -> [(step, value)] for each row that logged a finite value in it (CSVLogger's layout)."""
    series: dict[str, list[tuple[float, float]]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f)):
            step = _float(row.get("step"))
            for column, text in row.items():
                value = _float(text)
                if column in ("epoch", "step") or column is None or value is None:
                    continue
                series.setdefault(column, []).append((i if step is None else step, value))
    return series


def _float(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def curve_groups(columns: list[str]) -> dict[str, list[str]]:
    """The columns of each curve plot: loss, metrics, learning_rate, throughput."""
    groups: dict[str, list[str]] = {"loss": [], "metrics": [], "learning_rate": [], "throughput": []}
    for column in columns:
        if THROUGHPUT_MARK in column:
            groups["throughput"].append(column)
        elif LR_COLUMN.search(column):
            groups["learning_rate"].append(column)
        elif column.rsplit("/", 1)[-1].startswith("loss"):
            groups["loss"].append(column)
        else:
            groups["metrics"].append(column)
    return groups


def _metric_name(column: str) -> tuple[str, str]:
    """(panel, line): `val/acc` -> ("acc", "val"); `train/f1_epoch` -> ("f1", "train per epoch")."""
    stage, _, name = column.rpartition("/")
    every = re.search(r"_(step|epoch)$", name)
    line = f"{stage or name} per {every.group(1)}" if every else stage or name
    return name[: every.start()] if every else name, line


def plot_curves(run: Run, out: Path) -> list[Plot]:
    """The curve plots of `run`'s metrics.csv; a note in `run.notes` for each one it has no column for."""
    if not run.metrics.is_file():
        run.notes.append(f"{run.folder}: no metrics.csv (the run had no CSV logger): no curves")
        return []
    series = read_metrics(run.metrics)
    groups = curve_groups(list(series))
    plots = []
    for kind, ylabel in (("loss", "loss"), ("learning_rate", "learning rate"), ("throughput", "tokens / s")):
        if groups[kind]:
            plots.append(_one_panel(series, groups[kind], out / f"{kind}.png", ylabel, f"{ylabel} - {run.folder.name}"))
    if groups["metrics"]:
        plots.append(_metric_panels(series, groups["metrics"], out / "metrics.png"))
    missing = {"loss": "loss", "learning_rate": "learning-rate", "throughput": f"tokens-per-second ('{THROUGHPUT_MARK}')"}
    for kind, what in missing.items():
        if not groups[kind]:
            run.notes.append(f"{run.metrics}: no {what} column: no {kind}.png")
            (out / f"{kind}.png").unlink(missing_ok=True)  # not an older run's plot beside this run's
    return plots


def _one_panel(series: dict[str, list[tuple[float, float]]], columns: list[str], path: Path, ylabel: str,
               title: str) -> Plot:
    fig, ax = _pyplot().subplots(figsize=(6, 3.6), layout="constrained")
    for column in columns:
        _line(ax, series[column], column)
    ax.set(xlabel="step", ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    _step_axis(ax)
    return Plot(_save(fig, path), {c: series[c] for c in columns})


def _metric_panels(series: dict[str, list[tuple[float, float]]], columns: list[str], path: Path) -> Plot:
    panels: dict[str, list[str]] = {}
    for column in columns:
        panels.setdefault(_metric_name(column)[0], []).append(column)
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = _pyplot().subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False, layout="constrained")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    for ax, (name, members) in zip(axes.flat, panels.items(), strict=False):
        for column in members:
            _line(ax, series[column], _metric_name(column)[1])
        ax.set(title=name, xlabel="step")
        ax.legend(fontsize=8)
        _step_axis(ax)
    return Plot(_save(fig, path), {c: series[c] for c in columns})


def _step_axis(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)


def _line(ax: Any, points: list[tuple[float, float]], label: str) -> None:
    steps, values = zip(*points, strict=True)
    many = len(points) > 50  # per-step training values: a thin line; per-epoch values: points to read
    ax.plot(steps, values, label=label, lw=0.8 if many else 1.5, marker=None if many else "o", ms=3,
            alpha=0.6 if many else 1.0)


# ---- drawing the evaluation -----------------------------------------------------------------------


def plot_classes(ev: Evaluation, out: Path) -> list[Plot]:
    """confusion_matrix.png (counts, rows = true class) and roc.png (one-vs-rest per class; binary: one curve)."""
    import numpy as np
    import torch
    from torchmetrics.functional import auroc, confusion_matrix, roc

    probs = torch.tensor(ev.predictions, dtype=torch.float32)
    target = torch.tensor(ev.targets, dtype=torch.long)
    k = len(ev.names)
    counts = confusion_matrix(probs.argmax(-1), target, task="multiclass", num_classes=k).numpy()
    n = int(counts.sum())
    accuracy = float(np.trace(counts) / n) if n else float("nan")
    size = min(2.5 + 0.45 * k, 12)
    fig, ax = _pyplot().subplots(figsize=(size, size * 0.85), layout="constrained")
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    if k <= 25:
        for (i, j), c in np.ndenumerate(counts):
            ax.text(j, i, str(c), ha="center", va="center", fontsize=8, color="white" if c > counts.max() / 2 else "black")
    ticks = range(k) if k <= 40 else []
    ax.set_xticks(ticks, [ev.names[i] for i in ticks], rotation=45 if k > 6 else 0, ha="right" if k > 6 else "center")
    ax.set_yticks(ticks, [ev.names[i] for i in ticks])
    ax.set(xlabel="predicted", ylabel="true", title=f"{ev.checkpoint.name} on validation\n{n} records, accuracy {accuracy:.3f}")
    plots = [Plot(_save(fig, out / "confusion_matrix.png"), {"counts": counts, "accuracy": accuracy, "labels": ev.names})]

    # binary: the positive class is the second label, as torchmetrics' binary task reads it
    classes = [1] if k == 2 else list(range(k))
    fig, ax = _pyplot().subplots(figsize=(5, 4.4), layout="constrained")
    areas: dict[str, float] = {}
    for c in classes:
        positive = (target == c).long()
        if positive.min() == positive.max():  # a class with no positives (or only positives) has no ROC
            continue
        fpr, tpr, _ = roc(probs[:, c], positive, task="binary")
        areas[ev.names[c]] = float(auroc(probs[:, c], positive, task="binary"))
        ax.plot(fpr.numpy(), tpr.numpy(), lw=1.4, label=f"{ev.names[c]} (AUROC {areas[ev.names[c]]:.3f})")
    ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color="grey")
    mean = float(np.mean(list(areas.values()))) if areas else float("nan")
    what = f"{ev.names[1]} vs {ev.names[0]}" if k == 2 else f"one-vs-rest, macro AUROC {mean:.3f}"
    if not areas:
        what = "none (the split holds a single class)"
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"{ev.checkpoint.name} on validation\nROC: {what}")
    if areas and len(areas) <= 20:
        ax.legend(fontsize=8, loc="lower right")
    skipped = [ev.names[c] for c in classes if ev.names[c] not in areas]
    plots.append(Plot(_save(fig, out / "roc.png"), {"auroc": areas, "macro_auroc": mean, "without_roc": skipped}))
    return plots


def plot_values(ev: Evaluation, out: Path) -> Plot:
    """predicted_vs_true.png: one scatter per target, the diagonal y = x, R² and RMSE in each title."""
    import numpy as np
    import torch
    from torchmetrics.functional import mean_squared_error, r2_score

    pred = np.asarray(ev.predictions, dtype=np.float64).reshape(len(ev.predictions), -1)
    true = np.asarray(ev.targets, dtype=np.float64).reshape(len(ev.targets), -1)
    cols = min(3, len(ev.names))
    rows = math.ceil(len(ev.names) / cols)
    fig, axes = _pyplot().subplots(rows, cols, figsize=(4.2 * cols, 4 * rows), squeeze=False, layout="constrained")
    for ax in list(axes.flat)[len(ev.names):]:
        ax.set_visible(False)
    numbers: dict[str, Any] = {}
    for d, (ax, name) in enumerate(zip(axes.flat, ev.names, strict=False)):
        p, t = torch.tensor(pred[:, d]), torch.tensor(true[:, d])
        r2 = float(r2_score(p, t)) if len(t) > 1 else float("nan")
        rmse = float(mean_squared_error(p, t).sqrt())
        numbers[name] = {"r2": r2, "rmse": rmse, "n": len(t)}
        ax.scatter(true[:, d], pred[:, d], s=12, alpha=0.6)
        low, high = float(min(true[:, d].min(), pred[:, d].min())), float(max(true[:, d].max(), pred[:, d].max()))
        ax.plot([low, high], [low, high], ls="--", lw=0.8, color="grey")
        ax.set(xlabel=f"true {name}", ylabel=f"predicted {name}", title=f"{name}: R² {r2:.3f}, RMSE {rmse:.3g} (n={len(t)})")
        ax.grid(alpha=0.3)
    fig.suptitle(f"{ev.checkpoint.name} on validation", fontsize=10)
    return Plot(_save(fig, out / "predicted_vs_true.png"), numbers)


# ---- everything -------------------------------------------------------------------------------------


def plot_run(path: str | Path, out: str | Path | None = None, checkpoint: str | Path | None = None,
             curves_only: bool = False, batch_size: int = 64) -> tuple[Run, list[Plot]]:
    """Every plot of the run at `path` (a version folder or above it) into `out` (default RUN/plots)."""
    run = find_run(path)
    folder = Path(out) if out is not None else run.folder / "plots"
    draw = {"classes": plot_classes, "values": lambda ev, o: [plot_values(ev, o)]}
    evaluation = None if curves_only else evaluate(run, checkpoint, batch_size)  # its errors come before any file
    if evaluation is not None and evaluation.kind not in draw:
        raise PolyseqError(f"result_plot={evaluation.kind!r} of the run's task is not one polyseq plot draws "
                           f"({', '.join(draw)})")
    plots = plot_curves(run, folder)
    if evaluation is not None:
        plots += draw[evaluation.kind](evaluation, folder)
    if not plots:
        raise PolyseqError(f"{run.folder}: nothing to plot (no metrics.csv and no result plot for its task)")
    return run, plots


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    _pyplot().close(fig)
    return path
