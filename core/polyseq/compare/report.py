"""Turn the numbers `polyseq compare` collected into `report.md` and the PNG plots under `plots/`.

Tables are grouped by (domain, dataset, task): metrics are only comparable inside one group. Every
value is the mean over a (backbone, tokenizer) combination's finished seeds; ± is the sample standard
deviation (ddof=1). Baselines (backbone `baseline:<name>`) are rows of the same tables, their
tokenizer column saying what they read; the "By backbone" section lists them only in its summary.
matplotlib is imported inside the plotting functions, so importing this module
(and so `polyseq --help`) stays cheap.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

Row = dict[str, Any]
GroupKey = tuple[str, str, str]  # (domain, dataset, task)
Combo = tuple[str, str]  # (backbone, tokenizer)

LABELS = {
    "val_acc": "val acc", "val_f1": "F1", "val_auroc": "AUROC", "val_rmse": "val RMSE", "val_mae": "MAE",
    "val_r2": "R²", "val_ppl": "ppl", "val_bits_per_token": "val bits/token", "val_bits_per_byte": "val bits/byte",
    "val_loss": "val loss",
}
DASH = "—"


def _task(name: str) -> Any:
    """The registered task object, or None when no installed plugin provides it (an old results.csv)."""
    from polyseq.plugins import registry

    reg = registry()
    return reg.get_task(name) if name in reg.tasks else None


def primary_metric(task: str, rows: list[Row]) -> tuple[str, bool]:
    """The metric a task's runs are ranked by, as (result key, higher_is_better): the task's
    `primary_metric`, the first of its candidates that some row of the group has (lm prefers bits per
    byte, comparable across tokenizers, and falls back to bits per token for a domain whose samples
    have no byte form); when no row has any, the last candidate. A task no installed plugin provides
    uses val loss.
    """
    t = _task(task)
    if t is None:
        return "val_loss", False
    present = [n for n in t.primary_metric if any(value(r, f"val_{n}") is not None for r in rows)]
    name = (present or list(t.primary_metric))[0 if present else -1]
    return f"val_{name}", bool(t.higher_is_better) and name != "loss"


def value(row: Row, key: str) -> float | None:
    """`row[key]` as a float; None when missing, None, "", NaN or not a number (rows may come from CSV)."""
    raw = row.get(key)
    if raw is None or raw == "":
        return None
    try:
        x = float(raw)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


# ---------------------------------------------------------------- grouping and formatting


def _finished(results: list[Row]) -> list[Row]:
    return [r for r in results if r.get("status") == "finished"]


def _groups(rows: Iterable[Row]) -> dict[GroupKey, list[Row]]:
    # dicts keep first-appearance order, which is the config's grid order: no surprise re-sorting.
    out: dict[GroupKey, list[Row]] = {}
    for r in rows:
        out.setdefault((str(r.get("domain")), str(r.get("dataset")), str(r.get("task"))), []).append(r)
    return out


def by_combo(rows: Iterable[Row]) -> dict[Combo, list[Row]]:
    out: dict[Combo, list[Row]] = {}
    for r in rows:
        out.setdefault((str(r.get("backbone")), str(r.get("tokenizer"))), []).append(r)
    return out


def values_of(rows: list[Row], key: str) -> list[float]:
    return [v for r in rows if (v := value(r, key)) is not None]


def _mean(rows: list[Row], key: str) -> float | None:
    vals = values_of(rows, key)
    return statistics.mean(vals) if vals else None


def _fmt(x: float) -> str:
    return f"{x:.3f}" if abs(x) < 1000 else f"{x:,.1f}"


def mean_std(vals: list[float], n_expected: int = 0) -> str:
    """Mean ± sample std over seeds ("0.850 ± 0.071"); one value alone; "(n=k)" when seeds are missing."""
    if not vals:
        return DASH
    if len(vals) == 1:
        return _fmt(vals[0]) + (" (n=1)" if n_expected > 1 else "")
    m, s = statistics.mean(vals), statistics.stdev(vals)
    text = f"{_fmt(m)} ± {_fmt(s)}"
    return text + (f" (n={len(vals)})" if len(vals) < n_expected else "")


def _millions(x: float | None, digits: int) -> str:
    if x is None:
        return DASH
    return f"{x / 1e6:.{digits}f} M" if x >= 10 ** (6 - digits) else f"{x / 1e3:.0f} k"


def _num(x: float | None, digits: int) -> str:
    return DASH if x is None else f"{x:,.{digits}f}"


def label(key: str, higher_is_better: bool | None = None) -> str:
    """A column header for a result key: "val acc ↑", "gen validity"..."""
    if key.startswith("test_"):  # "test RMSE", "test bits/byte": the val label's name on the test split
        name = LABELS.get("val_" + key.removeprefix("test_")) or key.removeprefix("test_").replace("_", " ")
        text = "test " + name.removeprefix("val ")
    else:
        text = LABELS.get(key) or key.removeprefix("val_").replace("_", " ")
    return text if higher_is_better is None else f"{text} {'↑' if higher_is_better else '↓'}"


def _table(header: list[str], lines: list[list[str]]) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return [row(header), row(["---"] * len(header)), *(row(c) for c in lines), ""]


def _best(means: dict[Any, float | None], higher: bool) -> set[Any]:
    """Keys holding the best mean; empty unless at least two are comparable (bolding a lone row says nothing)."""
    known = {k: m for k, m in means.items() if m is not None}
    if len(known) < 2:
        return set()
    top = (max if higher else min)(known.values())
    return {k for k, m in known.items() if m == top}


def _n_seeds(results: list[Row], meta: dict[str, Any]) -> int:
    seeds = meta.get("seeds") or {r.get("seed") for r in results}
    return len(seeds)


# ---------------------------------------------------------------- report sections


def _intro(meta: dict[str, Any], results: list[Row] | None) -> list[str]:
    seeds = ", ".join(str(x) for x in meta.get("seeds") or [])
    facts = [("Command", f"`{meta.get('command')}`" if meta.get("command") else ""),
             ("config", f"`{meta.get('config')}`" if meta.get("config") else ""),
             ("budget", meta.get("budget") if results is not None else ""),
             ("seeds", seeds if results is not None else ""),
             ("machine", meta.get("machine")), ("date", meta.get("date"))]
    text = "; ".join(f"{name}: {v}" for name, v in facts if v)
    text = text + "." if text else ""
    if results is not None:
        failed = len(results) - len(_finished(results))
        text += (f" {len(results)} runs, {len(results) - failed} finished, {failed} failed. Every number is read from"
                 " the runs' own logs: `results.csv` holds one row per run, and `runs/<run_id>/` holds each run's"
                 " `fit.yaml`, `metrics.csv` and checkpoints.")
        if _n_seeds(results, meta) > 1:
            text += (" ± is the standard deviation over seeds (sample std, ddof=1); (n=…) marks a cell where"
                     " some seeds failed.")
        else:
            text += " Each configuration ran with one seed, so values are single runs with no spread."
    notes = ["", str(meta["notes"])] if meta.get("notes") else []
    return [f"# {meta.get('name') or 'polyseq compare'}", "", text.strip(), *notes, ""]


def _columns(task: str, rows: list[Row]) -> tuple[str, bool, list[str]]:
    key, higher = primary_metric(task, rows)
    test = "test_" + key.removeprefix("val_")  # the primary metric on the test split, where the data has one
    extra = ([test] if values_of(rows, test) else []) + ([] if key == "val_loss" else ["val_loss"])
    t = _task(task)
    for k in (t.report_metrics if t is not None else ()):  # each beside its test figure, where there is one
        extra += [] if f"val_{k}" == key else [f"val_{k}", f"test_{k}"]
    if t is not None and t.generates:
        extra += sorted({k for r in rows for k in r if k.startswith("val_gen_")})
    return key, higher, [k for k in extra if values_of(rows, k)]


BASELINE = "baseline:"


def is_baseline(backbone: str) -> bool:
    return str(backbone).startswith(BASELINE)


def _by_domain(groups: dict[GroupKey, list[Row]], n_seeds: int) -> list[str]:
    note = "Cost columns (params, tokens seen, tokens/s, train time) are means over seeds."
    if any(is_baseline(r.get("backbone", "")) for rs in groups.values() for r in rs):
        note += (" Rows `baseline:<name>` are classical models fitted on the same train split and scored by the"
                 " same metric code (`polyseq baseline`); their tokenizer column says what they read, and their"
                 " train time is the fitting time.")
    lines = ["## By domain", "", note, ""]
    for (domain, dataset, task), rows in groups.items():
        key, higher, extra = _columns(task, rows)
        combos = by_combo(rows)
        best = _best({c: _mean(rs, key) for c, rs in combos.items()}, higher)
        header = ["backbone", "tokenizer", label(key, higher), *(label(k) for k in extra),
                  "params", "tokens seen", "tokens/s", "train time (s)"]
        body = []
        for combo, rs in combos.items():
            primary = mean_std(values_of(rs, key), n_seeds)
            body.append([
                *combo, f"**{primary}**" if combo in best else primary,
                *(mean_std(values_of(rs, k), n_seeds) for k in extra),
                _millions(_mean(rs, "params"), 2), _millions(_mean(rs, "tokens"), 1),
                _num(_mean(rs, "tokens_per_s"), 0), _num(_mean(rs, "train_time_s"), 1),
            ])
        lines += [f"### {domain} — {dataset} ({task})", "", *_table(header, body)]
    return lines


def _by_backbone(groups: dict[GroupKey, list[Row]], n_seeds: int) -> list[str]:
    lines = ["## By backbone", ""]
    backbones = list(dict.fromkeys(str(r.get("backbone")) for rs in groups.values() for r in rs))
    for backbone in [b for b in backbones if not is_baseline(b)]:  # a baseline's rows are in "By domain"
        body = []
        for (domain, dataset, task), rows in groups.items():
            key, higher = primary_metric(task, rows)
            for (bb, tok), rs in by_combo(rows).items():
                if bb == backbone:
                    body.append([domain, dataset, task, tok, label(key, higher),
                                 mean_std(values_of(rs, key), n_seeds), _num(_mean(rs, "tokens_per_s"), 0)])
        header = ["domain", "dataset", "task", "tokenizer", "metric", "value", "tokens/s"]
        lines += [f"### {backbone}", "", *_table(header, body)]
    # At a glance: each backbone's best tokenizer per group, so backbones meet on their best footing.
    header, cells = ["backbone"], {b: [b] for b in backbones}
    for (domain, dataset, task), rows in groups.items():
        key, higher = primary_metric(task, rows)
        header.append(f"{domain}: {dataset} ({label(key, higher)})")
        best_tok: dict[str, tuple[float, str] | None] = {}
        for backbone in backbones:
            scored = [(m, tok) for (bb, tok), rs in by_combo(rows).items()
                      if bb == backbone and (m := _mean(rs, key)) is not None]
            best_tok[backbone] = (max if higher else min)(scored) if scored else None
        winners = _best({b: (bt[0] if bt else None) for b, bt in best_tok.items()}, higher)
        for backbone, bt in best_tok.items():
            text = DASH if bt is None else f"{_fmt(bt[0])} ({bt[1]})"
            cells[backbone].append(f"**{text}**" if backbone in winners else text)
    if len(backbones) < 2:
        return lines
    lines += ["### Summary", "", "Mean primary metric of each backbone's best tokenizer (named in brackets).", ""]
    return lines + _table(header, list(cells.values()))


def _tokenizer_section(tokenizers: list[Row]) -> list[str]:
    header = ["dataset", "tokenizer", "vocab size", "tokens/byte", "mean tokens/record", "median", "p95", "max",
              "encode time (s)"]
    body = []
    for t in tokenizers:
        q = list(t.get("len_q") or [])
        qs = [_num(float(q[i]), 0) if len(q) == 7 else DASH for i in (3, 5, 6)]
        body.append([str(t.get("dataset")), str(t.get("tokenizer")), _num(value(t, "vocab_size"), 0),
                     _num(value(t, "tokens_per_byte"), 3), _num(value(t, "len_mean"), 1), *qs,
                     _num(value(t, "encode_s"), 2)])
    note = ("Token counts per record of the train split; encode time: tokenizing the train split when it was"
            " first prepared (kept with the token cache). — means not measured: tokens/byte where the samples"
            " have no byte form, encode time for a cache prepared by an older polyseq.")
    return ["## Tokenizers", "", note, "", *_table(header, body)]


def _plots_section(paths: list[Path]) -> list[str]:
    captions = {"learning_curves": "learning curves", "metrics": "primary metric per group",
                "tokenizers": "tokenizer statistics"}
    lines = ["## Plots", ""]
    for p in paths:
        lines += [f"![{captions.get(p.stem, p.stem)}](plots/{p.name})", ""]
    return lines


def _failed_section(results: list[Row]) -> list[str]:
    failed = [r for r in results if r.get("status") != "finished"]
    if not failed:
        return []
    body = []
    for r in failed:
        error = str(r.get("error") or f"status {r.get('status')!r}").strip()
        body.append([str(r.get("run_id")), error.splitlines()[0] if error else ""])
    note = "Re-running the same command retries these runs."
    return ["## Failed runs", "", note, "", *_table(["run", "error (first line)"], body)]


# ---------------------------------------------------------------- public API


def _write_markdown(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path


def write_report(
    out: Path, results: list[Row], tokenizers: list[Row], curves: dict[str, list[Row]], meta: dict[str, Any]
) -> list[Path]:
    """Write out/report.md and out/plots/*.png; return the paths written (report first).

    A plot with no data (no curves recorded, no finished run) is not written, and not linked.
    """
    out = Path(out)
    from polyseq.compare.plots import combo_colours, plot_learning_curves, plot_metrics, plot_tokenizers

    groups = _groups(_finished(results))
    n_seeds = _n_seeds(results, meta)
    colours = combo_colours(results)
    plots = [p for p in (
        plot_learning_curves(out / "plots" / "learning_curves.png", groups, curves, colours),
        plot_metrics(out / "plots" / "metrics.png", groups, colours),
        plot_tokenizers(out / "plots" / "tokenizers.png", tokenizers),
    ) if p is not None]
    lines = _intro(meta, results)
    if groups:
        lines += _by_domain(groups, n_seeds) + _by_backbone(groups, n_seeds)
    if tokenizers:
        lines += _tokenizer_section(tokenizers)
    if plots:
        lines += _plots_section(plots)
    lines += _failed_section(results)
    return [_write_markdown(out / "report.md", lines), *plots]


def write_tokenizer_report(out: Path, tokenizers: list[Row], meta: dict[str, Any]) -> list[Path]:
    """Write out/report.md with only the tokenizer section, and out/plots/tokenizers.png (`--tokenizers-only`)."""
    from polyseq.compare.plots import plot_tokenizers

    out = Path(out)
    plot = plot_tokenizers(out / "plots" / "tokenizers.png", tokenizers)
    lines = _intro(meta, None) + _tokenizer_section(tokenizers) + (_plots_section([plot]) if plot else [])
    return [_write_markdown(out / "report.md", lines)] + ([plot] if plot else [])
