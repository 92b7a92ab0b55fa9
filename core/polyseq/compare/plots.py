"""The PNG plots of a comparison: learning curves, metric bars, tokenizer statistics.

matplotlib is imported inside the functions (Agg backend, files only), so importing the compare
package stays cheap. Colours follow (backbone, tokenizer) and agree across every plot.
"""

from __future__ import annotations

import inspect
import math
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from polyseq.compare.report import Combo, GroupKey, Row, by_combo, values_of, label, primary_metric, value

VAL_STYLE: dict[str, Any] = {"lw": 1.6, "marker": "o", "ms": 3}  # validation: the curve to read
TRAIN_STYLE: dict[str, Any] = {"lw": 0.8, "alpha": 0.35}  # training: context only


def combo_colours(results: list[Row]) -> dict[Combo, Any]:
    """One colour per (backbone, tokenizer), in first-appearance order, so every plot agrees."""
    import matplotlib

    combos = list(by_combo(results))
    cmap = matplotlib.colormaps["tab10" if len(combos) <= 10 else "tab20"]
    return {c: cmap(i % cmap.N) for i, c in enumerate(combos)}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window, even where a display exists
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def _grid(n: int) -> tuple[Any, list[Any]]:
    plt = _pyplot()
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False, layout="constrained")
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _skip(path: Path) -> None:
    # A stale plot from an earlier run in the same folder would otherwise sit next to a report that no longer links it.
    path.unlink(missing_ok=True)


def plot_learning_curves(
    path: Path, groups: dict[GroupKey, list[Row]], curves: dict[str, list[Row]], colours: dict[Combo, Any]
) -> Path | None:
    """Validation loss (solid, markers) and training loss (thin, faint) against step, one panel per group."""
    def has_loss(r: Row) -> bool:
        return any(value(p, "val_loss") is not None or value(p, "train_loss") is not None
                   for p in curves.get(str(r.get("run_id"))) or [])

    panels = {g: rs for g, rs in groups.items() if any(has_loss(r) for r in rs)}
    if not panels:
        _skip(path)
        return None
    fig, axes = _grid(len(panels))
    for ax, ((domain, dataset, task), rows) in zip(axes, panels.items()):
        for combo, rs in by_combo(rows).items():
            for i, r in enumerate(rs):
                points = curves.get(str(r.get("run_id"))) or []
                for key, style in (("val_loss", VAL_STYLE), ("train_loss", TRAIN_STYLE)):
                    xy = [(p["step"], v) for p in points
                          if (v := value(p, key)) is not None and p.get("step") is not None]
                    if xy:
                        tag = "/".join(combo) if key == "val_loss" and i == 0 else None
                        ax.plot(*zip(*xy), color=colours.get(combo), label=tag, **style)
        ax.set(title=f"{domain}: {dataset} ({task})", xlabel="step", ylabel="loss (val solid, train faint)")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    return _save(fig, path)


def plot_metrics(path: Path, groups: dict[GroupKey, list[Row]], colours: dict[Combo, Any]) -> Path | None:
    """Mean primary metric per (backbone, tokenizer), std as error bar, each seed as a dot; one panel per group."""
    panels = {}
    for g, rows in groups.items():
        key, higher = primary_metric(g[2], rows)
        bars = {c: vals for c, rs in by_combo(rows).items() if (vals := values_of(rs, key))}
        if bars:
            panels[g] = (key, higher, bars)
    if not panels:
        _skip(path)
        return None
    fig, axes = _grid(len(panels))
    for ax, ((domain, dataset, task), (key, higher, bars)) in zip(axes, panels.items()):
        for x, (combo, vals) in enumerate(bars.items()):
            err = statistics.stdev(vals) if len(vals) > 1 else 0.0
            ax.bar(x, statistics.mean(vals), yerr=err, capsize=4, color=colours.get(combo), alpha=0.8)
            offsets = [0.0] if len(vals) == 1 else [-0.15 + 0.3 * i / (len(vals) - 1) for i in range(len(vals))]
            ax.scatter([x + o for o in offsets], vals, color="black", s=12, zorder=3)
        ax.set_xticks(range(len(bars)), ["\n".join(c) for c in bars], fontsize=8)
        better = "higher is better" if higher else "lower is better"
        ax.set(title=f"{domain}: {dataset} ({task})", ylabel=f"{label(key)} ({better})")
        ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def _bars(ax: Any, tokenizers: list[Row], key: str, colours: list[Any], log: bool) -> None:
    for y, (t, colour) in enumerate(zip(tokenizers, colours)):
        v = value(t, key)
        if v:
            ax.barh(y, v, color=colour)
        else:  # say so rather than leave a gap that reads as zero
            ax.annotate("not measured", (0, y), xytext=(4, 0), textcoords="offset points", va="center",
                        fontsize=8, color="grey", xycoords=("axes fraction", "data"))
    if log:
        ax.set_xscale("log")


def _length_boxes(ax: Any, tokenizers: list[Row]) -> None:
    rows = [(y, [max(float(q), 1.0) for q in t["len_q"]])  # clipped at 1: a log axis cannot show 0
            for y, t in enumerate(tokenizers) if len(t.get("len_q") or []) == 7]
    stats = [{"whislo": q[1], "q1": q[2], "med": q[3], "q3": q[4], "whishi": q[5], "fliers": []} for _, q in rows]
    # matplotlib 3.10 replaced `vert` by `orientation`; the project still allows 3.8.
    new_api = "orientation" in inspect.signature(ax.bxp).parameters
    horizontal = {"orientation": "horizontal"} if new_api else {"vert": False}
    ax.bxp(stats, positions=[y for y, _ in rows], widths=0.6, **horizontal)
    ax.scatter([q[6] for _, q in rows], [y for y, _ in rows], marker="|", s=60, color="black", label="max", zorder=3)
    ax.set_xscale("log")
    ax.legend(fontsize=8, loc="upper right")


def plot_tokenizers(path: Path, tokenizers: list[Row]) -> Path | None:
    """Tokens per byte, vocabulary size (log) and tokens per record (box plots from `len_q`, log), side by side.

    One row per dataset/tokenizer, coloured by dataset; a panel none of the rows has data for is left out.
    """
    plt = _pyplot()
    datasets = list(dict.fromkeys(str(t.get("dataset")) for t in tokenizers))
    colours = [plt.get_cmap("tab10")(datasets.index(str(t.get("dataset"))) % 10) for t in tokenizers]
    panels: list[tuple[str, Callable[[Any], None]]] = []
    if any(value(t, "tokens_per_byte") for t in tokenizers):
        panels.append(("tokens per byte", lambda ax: _bars(ax, tokenizers, "tokens_per_byte", colours, log=False)))
    if any(value(t, "vocab_size") for t in tokenizers):
        panels.append(("vocabulary size", lambda ax: _bars(ax, tokenizers, "vocab_size", colours, log=True)))
    if any(len(t.get("len_q") or []) == 7 for t in tokenizers):
        title = "tokens per record (box 25–75 %, whiskers 5–95 %)"
        panels.append((title, lambda ax: _length_boxes(ax, tokenizers)))
    if not panels:
        _skip(path)
        return None
    height = max(2.4, 0.9 + 0.4 * len(tokenizers))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels), height), sharey=True, squeeze=False)
    for ax, (title, draw) in zip(axes[0], panels):
        draw(ax)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    names = [f"{t.get('dataset')} / {t.get('tokenizer')}" for t in tokenizers]
    axes[0][0].set_yticks(range(len(names)), names, fontsize=8)
    axes[0][0].set_ylim(len(names) - 0.5, -0.5)  # first row on top, as in the table
    return _save(fig, path)
