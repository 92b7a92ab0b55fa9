"""`polyseq plugins`: every plugin, domain, tokenizer, reader, backbone, task and baseline, and who provided it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from polyseq.plugins import Entry, Registry, registry, strict_plugins

#: `Task.generates`, as the text listing says it
GENERATES = {None: "no", "prompt": "yes, continues a prompt", "input": "yes, one output per input record"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plugins", help="list plugins, domains, tokenizers, readers, backbones, tasks and baselines")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def describe(reg: Registry) -> dict[str, Any]:
    """Everything `polyseq plugins` shows, as plain data."""
    return {
        "plugins": [
            {"name": name, "distribution": o.distribution, "version": o.version} for name, o in reg.plugins.items()
        ],
        "failed": [
            {"name": f.plugin, "distribution": f.origin.distribution, "stage": f.stage,
             "error": f"{type(f.error).__name__}: {f.error}"}
            for f in reg.failures
        ],
        "domains": [
            {
                "name": d.name,
                "description": d.description,
                "tokenizers": list(d.tokenizers),
                "default_tokenizer": d.default_tokenizer,
                "readers": sorted(d.readers),
                "plugin": reg.domain_origins[d.name].plugin,
                "distribution": str(reg.domain_origins[d.name]),
            }
            for d in reg.domains.values()
        ],
        "tokenizers": [
            {"name": e.name, "description": e.description, "plugin": e.origin.plugin, "distribution": str(e.origin)}
            for e in reg.tokenizers.values()
        ],
        "backbones": [
            {"name": e.name, "description": e.description, "plugin": e.origin.plugin, "distribution": str(e.origin)}
            for e in reg.backbones.values()
        ],
        "tasks": [describe_task(reg, e) for e in reg.tasks.values()],
        "baselines": [describe_baseline(reg, e) for e in reg.baselines.values()],
    }


def describe_baseline(reg: Registry, entry: Entry) -> dict[str, Any]:
    """A baseline's row: its origin, what it predicts, which domains it reads and what it sees (a
    class that cannot be loaded is listed with the reason, as a task is)."""
    row: dict[str, Any] = {"name": entry.name, "description": entry.description, "plugin": entry.origin.plugin,
                           "distribution": str(entry.origin), "outputs": None, "domains": None, "features": None,
                           "error": None}
    try:
        cls = reg.baseline_class(entry.name)
    except Exception as e:
        if strict_plugins():
            raise
        row["error"] = f"{type(e).__name__}: {e}"
        return row
    row.update(outputs=list(cls.outputs), domains=list(cls.domains) if cls.domains is not None else None,
               features=cls.features)
    return row


def describe_task(reg: Registry, entry: Entry) -> dict[str, Any]:
    """A task's row: its origin, what a record must carry for it, whether it generates.

    These are class attributes of the task, so its module is imported; a task that cannot be
    loaded is listed with the reason (an error with POLYSEQ_STRICT_PLUGINS), and the other rows are unaffected.
    """
    row: dict[str, Any] = {"name": entry.name, "description": entry.description, "plugin": entry.origin.plugin,
                           "distribution": str(entry.origin), "record_target": None, "needs_target": None,
                           "generates": None, "error": None}
    try:
        task = reg.get_task(entry.name)
    except Exception as e:  # a broken task module must not hide the others (as a broken plugin does not)
        if strict_plugins():
            raise
        row["error"] = f"{type(e).__name__}: {e}"
        return row
    row.update(record_target=task.record_target, needs_target=bool(task.needs_target), generates=task.generates)
    return row


def run(args: argparse.Namespace) -> int:
    info = describe(registry())
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    out = sys.stdout.write
    out("Plugins\n")
    for p in info["plugins"]:
        out(f"  {p['name']:<16} {p['distribution']} {p['version']}\n")
    if info["failed"]:
        out("Failed plugins (the others work; set POLYSEQ_STRICT_PLUGINS=1 to make this fatal)\n")
        for f in info["failed"]:
            out(f"  {f['name']:<16} {f['distribution']}: failed in {f['stage']}: {f['error']}\n")
    out("Domains\n")
    for d in info["domains"]:
        toks = ", ".join(t + ("*" if t == d["default_tokenizer"] else "") for t in d["tokenizers"])
        out(f"  {d['name']:<10} {d['description']}  [{d['distribution']}]\n")
        out(f"  {'':<10} tokenizers: {toks}\n")
        out(f"  {'':<10} readers: {' '.join(d['readers'])}\n")
    if not info["domains"]:
        out("  (none)\n")
    out("Cross-domain tokenizers (usable in every domain)\n")
    for t in info["tokenizers"]:
        out(f"  {t['name']:<10} {t['description']}  [{t['distribution']}]\n")
    out("Backbones\n")
    for b in info["backbones"]:
        out(f"  {b['name']:<10} {b['description']}  [{b['distribution']}]\n")
    if not info["backbones"]:
        out("  (none registered)\n")
    out("Tasks (--data.task)\n")
    for t in info["tasks"]:
        out(f"  {t['name']:<10} {t['description']}  [{t['distribution']}, plugin {t['plugin']}]\n")
        if t["error"]:
            out(f"  {'':<10} cannot be loaded: {t['error']}\n")
            continue
        out(f"  {'':<10} record: {t['record_target']}; generates: {GENERATES.get(t['generates'], t['generates'])}\n")
    if not info["tasks"]:
        out("  (none registered)\n")
    out("Baselines (polyseq baseline NAME; baselines: [...] in polyseq compare)\n")
    for b in info["baselines"]:
        out(f"  {b['name']:<14} {b['description']}  [{b['distribution']}, plugin {b['plugin']}]\n")
        if b["error"]:
            out(f"  {'':<14} cannot be loaded: {b['error']}\n")
            continue
        domains = ", ".join(b["domains"]) if b["domains"] is not None else "any"
        out(f"  {'':<14} predicts: {', '.join(b['outputs'])}; domains: {domains}; reads: {b['features']}\n")
    if not info["baselines"]:
        out("  (none registered)\n")
    out("* default tokenizer of the domain\n")
    return 0
