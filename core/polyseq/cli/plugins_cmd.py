"""`polyseq plugins`: every plugin, domain, tokenizer, reader and backbone, and who provided it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from polyseq.plugins import Registry, registry


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plugins", help="list plugins, domains, tokenizers, readers and backbones")
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
    }


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
    out("* default tokenizer of the domain\n")
    return 0
