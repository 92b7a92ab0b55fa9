"""A comparison config -> the grid of runs, each an ordinary `polyseq fit` config.

```yaml
name: compare_quick                 # default: the file's stem
output: runs/compare_quick          # default: runs/compare/<name>
seeds: [0, 1]                       # vary initialisation and dropout; splits stay fixed (data.seed)
budget: {steps: 200, eval_every: 50}   # or {minutes: 1.5, eval_every: 50}: the same for every run;
                                    # checkpoint_on: val/auroc chooses the tested checkpoint on that
                                    # validation metric instead of val/loss (`fit --checkpoint_on`)
defaults:                           # any `polyseq fit` keys, for every run
  data: {max_length: 128, batch_size: 16}
  model: {d_model: 64, n_layers: 2}
backbones:                          # label -> --model keys
  transformer: {backbone: transformer}
  lstm: {backbone: rnn, backbone_options: {cell: lstm}}
datasets:
  - dataset: dna_motifs             # a catalog dataset (`polyseq datasets`) ...
    task: classify
    tokenizers:                     # label -> --data keys (`tokenizer` defaults to the label)
      nucleotide: {}
      kmer3: {tokenizer: kmer, tokenizer_options: {k: 3}}
    data: {batch_size: 32}          # optional per-dataset --data / --model / --trainer keys
  - dataset: dna_motifs             # the same dataset again, read another way: `name` labels its rows
    name: dna_motifs_rc
    task: classify
    data: {augment: [reverse_complement]}
  - name: my_genomes                # ... or your own files: a name and --data keys
    task: lm
    data: {domain: dna, train: genomes/*.fa}
    baselines: [ngram_lm]           # optional: this dataset's baselines instead of the top-level list
baselines: [majority, kmer_logreg]  # classical models as rows (backbone `baseline:<name>`), on the same
                                    # splits; each dataset gets those that read its domain and task;
                                    # a mapping name -> options sets their options
```

Every problem in a config is reported at once, each naming its key (`datasets[2].tokenizers.kmer3`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyseq.errors import ConfigError, PolyseqError, unknown_name

TOP_KEYS = ("name", "output", "seeds", "budget", "defaults", "backbones", "datasets", "baselines", "notes")
ENTRY_KEYS = ("dataset", "name", "task", "tokenizers", "data", "model", "trainer", "baselines")
SECTIONS = ("data", "model", "trainer")
# keys the grid owns: a run's budget, seed, logging and checkpoints are the same for every run
RESERVED = {"trainer": ("max_steps", "max_epochs", "max_time", "val_check_interval", "check_val_every_n_epoch",
                        "logger", "callbacks", "default_root_dir", "log_every_n_steps")}


@dataclass(frozen=True)
class Budget:
    """What every run gets: `steps` optimiser steps, or `minutes` of wall-clock training; the test
    split is scored with the checkpoint best on `checkpoint_on`."""

    steps: int | None = None
    minutes: float | None = None
    eval_every: int = 50
    checkpoint_on: str = "val/loss"

    def describe(self) -> str:
        each = f"{self.steps} steps" if self.steps else f"{self.minutes:g} min"
        chosen = "" if self.checkpoint_on == "val/loss" else f", checkpoint chosen on {self.checkpoint_on}"
        return f"{each} per run, validation every {self.eval_every} steps{chosen}"


@dataclass(frozen=True)
class RunSpec:
    """One cell of the grid: a dataset with a task, a backbone, a tokenizer and a seed - or a baseline
    (`baseline` names it; `backbone` is `baseline:<name>`, `tokenizer` what it reads, `fit` holds
    its data keys and {"baseline": {name, options}})."""

    run_id: str
    dataset: str
    domain: str
    task: str
    backbone: str
    tokenizer: str
    seed: int
    fit: dict[str, Any] = field(hash=False, compare=False)  # the `polyseq fit` config, minus paths
    baseline: str = ""  # a registered baseline: this cell fits it instead of training a network

    @property
    def digest(self) -> str:
        """Changes whenever anything that shapes the run changes (not the output folder)."""
        text = json.dumps(self.fit, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class CompareConfig:
    path: Path
    name: str
    output: Path
    seeds: list[int]
    budget: Budget
    runs: list[RunSpec]
    notes: str = ""

    def tokenizer_variants(self) -> list[RunSpec]:
        """One run per (dataset, tokenizer): whose data config the tokenizer statistics use."""
        seen: dict[tuple[str, str, str], RunSpec] = {}
        for run in self.runs:
            if run.baseline:
                continue
            seen.setdefault((run.dataset, run.task, run.tokenizer), run)
        return list(seen.values())


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "_", text).strip("_") or "x"


def _merge(*parts: dict[str, Any] | None) -> dict[str, Any]:
    """Section-wise merge: later parts win key by key inside data/model/trainer."""
    out: dict[str, Any] = {s: {} for s in SECTIONS}
    for part in parts:
        for section, values in (part or {}).items():
            out[section].update(values or {})
    return out


def _check_keys(where: str, values: Any, allowed: Sequence[str], problems: list[str]) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        problems.append(f"{where}: expected a mapping, got {type(values).__name__} {values!r}")
        return {}
    for key in values:
        if key not in allowed:
            problems.append(str(unknown_name("key", str(key), allowed, where=f" in {where}")))
    return values


def _fit_keys() -> dict[str, list[str]]:
    import pytorch_lightning as pl

    from polyseq.data.module import SequenceDataModule
    from polyseq.training.module import SequenceModel

    def names(fn: Any) -> list[str]:
        return [p for p in inspect.signature(fn).parameters if p not in ("self", "data_info")]

    return {"data": names(SequenceDataModule.__init__), "model": names(SequenceModel.__init__),
            "trainer": names(pl.Trainer.__init__)}


def _check_sections(where: str, values: Any, problems: list[str], keys: dict[str, list[str]]) -> dict[str, Any]:
    """Validate {data: .., model: .., trainer: ..} against the signatures `polyseq fit` is built from."""
    values = _check_keys(where, values, SECTIONS, problems)
    for section, section_values in values.items():
        if section not in keys:
            continue
        checked = _check_keys(f"{where}.{section}", section_values, keys[section], problems)
        for key in checked:
            if key in RESERVED.get(section, ()):
                problems.append(f"{where}.{section}.{key}: set by the comparison (budget, logging, checkpoints); "
                                "use budget: {steps|minutes, eval_every} instead")
    return values


def _budget(raw: Any, problems: list[str]) -> Budget:
    raw = _check_keys("budget", raw, ("steps", "minutes", "eval_every", "checkpoint_on"), problems)
    steps, minutes = raw.get("steps"), raw.get("minutes")
    if (steps is None) == (minutes is None):
        problems.append(f"budget: give exactly one of steps or minutes (got {raw or 'none'})")
        return Budget(steps=1)
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        problems.append(f"budget.steps: expected a positive integer, got {steps!r}")
        steps = 1
    if minutes is not None and (not isinstance(minutes, (int, float)) or minutes <= 0):
        problems.append(f"budget.minutes: expected a positive number, got {minutes!r}")
        minutes = 1.0
    default_every = max(1, (steps or 250) // 5)
    every = raw.get("eval_every", default_every)
    if not isinstance(every, int) or every < 1:
        problems.append(f"budget.eval_every: expected a positive integer (steps), got {every!r}")
        every = default_every
    on = raw.get("checkpoint_on", "val/loss")
    if not isinstance(on, str) or not on.startswith("val/"):
        problems.append(f"budget.checkpoint_on: expected a validation value such as val/loss or val/auroc, got {on!r}")
        on = "val/loss"
    return Budget(steps=steps, minutes=float(minutes) if minutes is not None else None,
                  eval_every=min(every, steps or every), checkpoint_on=on)


def _tokenizers(where: str, raw: Any, domain: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    """label -> --data keys. A list of names is shorthand for {name: {}}; none: the domain's default."""
    if raw is None:
        return {domain.default_tokenizer: {}} if domain is not None else {"default": {}}
    if isinstance(raw, list):
        raw = {str(name): {} for name in raw}
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{where}: expected a list of tokenizer names or a mapping label -> data keys, got {raw!r}")
        return {}
    out = {}
    for label, values in raw.items():
        values = dict(_check_keys(f"{where}.{label}", values or {}, ("tokenizer", "tokenizer_options", "vocab_size",
                                                                     "tokenizer_file"), problems))
        if "tokenizer_file" not in values:
            values.setdefault("tokenizer", str(label))
            if domain is not None:
                try:
                    domain.tokenizer_class(values["tokenizer"])  # the domain's own, or a cross-domain one (bytes)
                except PolyseqError as e:
                    problems.append(f"{where}.{label}: {e}")
        out[str(label)] = values
    return out


def _baselines(where: str, raw: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    """name -> options. A list of names is shorthand for {name: {}}; each name must be registered."""
    from polyseq.plugins import registry

    if raw is None:
        return {}
    if isinstance(raw, list):
        raw = {str(name): {} for name in raw}
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a list of baseline names or a mapping name -> options, got {raw!r}")
        return {}
    out = {}
    for name, options in raw.items():
        if not isinstance(options or {}, dict):
            problems.append(f"{where}.{name}: expected a mapping of the baseline's options, got {options!r}")
            continue
        try:
            cls = registry().baseline_class(str(name), where=f" in {where}")
            cls(0, **(options or {}))  # its options are checked now, not when its row runs
        except PolyseqError as e:
            problems.append(str(e))
            continue
        out[str(name)] = dict(options or {})
    return out


def _baseline_runs(where: str, label: str, dataset: str, domain: Any, task: Any, data: dict[str, Any],
                   chosen: dict[str, dict[str, Any]], explicit: bool, seeds: list[int], used: set[str],
                   problems: list[str]) -> list[RunSpec]:
    """A row per (baseline that reads this domain and task, seed); an entry's own list must all fit it."""
    from polyseq.baselines.base import applies, why_not
    from polyseq.plugins import registry
    from polyseq.tasks import get_task

    if not chosen or domain is None or task is None:
        return []
    try:
        task_obj = get_task(str(task))
    except PolyseqError:
        return []
    runs = []
    for name, options in chosen.items():
        cls = registry().baseline_class(name)
        if not applies(cls, domain.name, task_obj):
            if explicit:
                problems.append(f"{where}.baselines: {why_not(cls, domain.name, task_obj)}")
            continue
        used.add(name)
        for seed in seeds:
            fit = {"data": {**data, "task": task}, "baseline": {"name": name, "options": options}, "seed_everything": seed}
            run_id = "-".join([label, str(task), f"baseline_{_slug(name)}", f"s{seed}"])
            runs.append(RunSpec(run_id, dataset, domain.name, str(task), f"baseline:{name}", cls.features, seed, fit, name))
    return runs


def load_config(path: str | Path, *, output: str | None = None, steps: int | None = None,
                minutes: float | None = None, seeds: Sequence[int] | None = None) -> CompareConfig:
    """Read and check a comparison config; the keyword arguments override its keys (the CLI's flags)."""
    import yaml

    from polyseq import get_domain
    from polyseq.catalog import get_dataset

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such comparison config") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from None
    problems: list[str] = []
    raw = _check_keys(str(path), raw, TOP_KEYS, problems)
    if steps is not None or minutes is not None:
        budget_raw = {k: v for k, v in (raw.get("budget") or {}).items() if k in ("eval_every", "checkpoint_on")}
        budget_raw.update({"steps": steps} if steps is not None else {"minutes": minutes})
        raw["budget"] = budget_raw
    budget = _budget(raw.get("budget"), problems)
    seeds = list(seeds if seeds is not None else raw.get("seeds", [0]))
    if not seeds or not all(isinstance(s, int) for s in seeds):
        problems.append(f"seeds: expected a list of integers, got {seeds!r}")
        seeds = [0]
    keys = _fit_keys()
    defaults = _check_sections("defaults", raw.get("defaults"), problems, keys)
    backbones = raw.get("backbones") or {"transformer": {}}
    if not isinstance(backbones, dict):
        problems.append(f"backbones: expected a mapping label -> model keys, got {backbones!r}")
        backbones = {}
    for label, values in backbones.items():
        _check_sections(f"backbones.{label}", {"model": values or {}}, problems, keys)
    entries = raw.get("datasets")
    if not isinstance(entries, list) or not entries:
        problems.append("datasets: expected a non-empty list of {dataset: NAME, task: TASK, ...} entries")
        entries = []
    top_baselines = _baselines("baselines", raw.get("baselines"), problems)
    used: set[str] = set()
    runs: list[RunSpec] = []
    for i, entry in enumerate(entries):
        where = f"datasets[{i}]"
        entry = _check_keys(where, entry, ENTRY_KEYS, problems)
        sections = _check_sections(where, {s: entry[s] for s in SECTIONS if s in entry}, problems, keys)
        task = entry.get("task")
        if task is None:
            from polyseq.tasks import task_names

            problems.append(f"{where}: needs task (one of {', '.join(task_names())})")
        dataset_name, domain = entry.get("dataset"), None
        data = dict(sections.get("data") or {})
        try:
            if dataset_name is not None:
                dataset = get_dataset(dataset_name)
                if task is not None:
                    dataset.task(task)  # an unknown task for the dataset names the ones it has
                domain = get_domain(dataset.domain)
                data.update(dataset=dataset_name)
            elif entry.get("name") and data.get("domain"):
                domain, dataset_name = get_domain(data["domain"]), entry["name"]
            else:
                problems.append(f"{where}: needs dataset: NAME (`polyseq datasets`), or name: LABEL with data: {{domain, train}}")
        except PolyseqError as e:
            problems.append(f"{where}: {e}")
        tokenizers = _tokenizers(f"{where}.tokenizers", entry.get("tokenizers"), domain, problems)
        label = _slug(str(entry.get("name") or dataset_name))
        # a named entry is its own row group in the report, even when two entries read one catalog dataset
        shown = str(entry.get("name") or dataset_name)
        for backbone, model in backbones.items():
            for tok_label, tok_data in tokenizers.items():
                for seed in seeds:
                    fit = _merge(defaults, {"model": model or {}}, sections,
                                 {"data": {**data, "task": task, **tok_data}})
                    fit["seed_everything"] = seed
                    if budget.checkpoint_on != "val/loss":  # only then: the digests of earlier runs stay valid
                        fit["checkpoint_on"] = budget.checkpoint_on
                    run_id = "-".join([label, str(task), _slug(str(backbone)), _slug(tok_label), f"s{seed}"])
                    runs.append(RunSpec(run_id, shown, domain.name if domain else "?", str(task),
                                        str(backbone), tok_label, seed, fit))
        own = "baselines" in entry
        chosen = _baselines(f"{where}.baselines", entry.get("baselines"), problems) if own else top_baselines
        base_data = {**(defaults.get("data") or {}), **data}
        runs += _baseline_runs(where, label, shown, domain, task, base_data, chosen, own, seeds, used, problems)
    for name in sorted(set(top_baselines) - used):
        problems.append(f"baselines: {name!r} reads none of the datasets' domains and tasks; drop it or add a dataset it reads")
    ids = [r.run_id for r in runs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"datasets: two entries give the same run id(s) {duplicates}; add name: LABEL to one of them")
    if problems:
        raise ConfigError([f"{path}: {len(problems)} problem(s):", *(f"  - {p}" for p in problems)])
    name = str(raw.get("name") or path.stem)
    out = Path(output or raw.get("output") or Path("runs") / "compare" / name)
    return CompareConfig(path, name, out, seeds, budget, runs, str(raw.get("notes") or ""))
