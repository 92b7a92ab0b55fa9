"""`polyseq datasets`: list the catalog, describe one dataset, fetch one into the cache."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from polyseq.catalog import DatasetEntry, dataset_folder, fetch, find_in_mirror, get_dataset, is_cached
from polyseq.catalog.store import MIRROR_VAR, mirror_folders
from polyseq.plugins import registry


def add_parser(sub: Any) -> None:
    p = sub.add_parser("datasets", help="list the dataset catalog; `datasets info NAME`, `datasets fetch NAME`",
                       description="The dataset catalog. Files are looked up in POLYSEQ_DATA_MIRROR first, then "
                       "downloaded into POLYSEQ_CACHE and verified (SHA-256).")
    p.add_argument("--domain", help="list only the datasets of this domain")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run_list)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    info = actions.add_parser("info", help="everything about one dataset: files, URLs, checksums, tasks, licence")
    info.add_argument("name")
    # SUPPRESS: `datasets --json info NAME` keeps the --json given before the action
    info.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    info.set_defaults(run=run_info)
    get = actions.add_parser("fetch", help="download (or copy from the mirror, or generate) one dataset")
    get.add_argument("name")
    get.add_argument("--seed", type=int, default=None, help="seed of an offline dataset (default: the entry's)")
    get.add_argument("--verify", action="store_true", help="re-check the checksums of files already cached")
    get.set_defaults(run=run_fetch)


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return "?"


def summary(entry: DatasetEntry, origin: str = "") -> dict[str, Any]:
    return {
        "name": entry.name, "domain": entry.domain, "tasks": entry.task_names,
        "source": "offline (generated)" if entry.offline else "download",
        "size": None if entry.offline else entry.download_size, "files": len(entry.files),
        "licence": entry.licence, "cached": is_cached(entry), "description": entry.description, "plugin": origin,
    }


def run_list(args: argparse.Namespace) -> int:
    reg = registry()
    rows = [summary(e.ref, e.origin.plugin) for e in reg.datasets.values()
            if args.domain is None or e.ref.domain == args.domain]
    rows.sort(key=lambda r: (r["domain"], r["name"]))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    out = sys.stdout.write
    if not rows:
        out("no datasets registered" + (f" for domain {args.domain!r}" if args.domain else "") + "\n")
    else:
        out(f"{'name':<22} {'domain':<7} {'tasks':<22} {'size':>9}  {'cached':<6}  licence\n")
    for r in rows:
        size = "generated" if r["source"].startswith("offline") else _size(r["size"])
        out(f"{r['name']:<22} {r['domain']:<7} {','.join(r['tasks']):<22} {size:>9}  "
            f"{'yes' if r['cached'] else 'no':<6}  {r['licence']}\n")
    mirrors = mirror_folders()
    out(f"mirror ({MIRROR_VAR}): {', '.join(map(str, mirrors)) if mirrors else '(not set)'}\n")
    for f in reg.failures:
        if f.stage == "register_datasets":
            out(f"failed: {f}\n")
    return 0


def _ref(ref: Any) -> str | None:
    """A callable as `module:name` (how entries usually name it), a string as it is."""
    if ref is None or isinstance(ref, str):
        return ref
    return f"{getattr(ref, '__module__', '?')}:{getattr(ref, '__qualname__', repr(ref))}"


def describe(entry: DatasetEntry) -> dict[str, Any]:
    return {
        **summary(entry), "citation": entry.citation, "homepage": entry.homepage, "notes": entry.notes,
        "folder": str(dataset_folder(entry)), "default_split": entry.default_split, "requires": list(entry.requires),
        "generator": _ref(entry.generator), "seed": entry.seed, "derive": _ref(entry.derive),
        "tasks": [{"task": t.task, "target": t.target, "reader_options": dict(t.reader_options),
                   "data_options": dict(t.data_options), "splits": entry.split_patterns(t.task),
                   "description": t.description} for t in entry.tasks],
        "files": [{"name": f.name, "url": f.url, "sha256": f.sha256, "size": f.size, "mirror_path": f.mirror_path,
                   "mirror_sha256": f.mirror_sha256, "processed": f.process is not None, "note": f.note,
                   "in_mirror": str(find_in_mirror(f) or "")} for f in entry.files],
    }


def run_info(args: argparse.Namespace) -> int:
    info = describe(get_dataset(args.name))
    if getattr(args, "json", False):
        print(json.dumps(info, indent=2))
        return 0
    out = sys.stdout.write
    out(f"{info['name']} ({info['domain']}): {info['description']}\n")
    for key in ("source", "licence", "citation", "homepage", "default_split", "notes", "folder"):
        if info[key]:
            out(f"  {key + ':':<15}{info[key]}\n")
    out(f"  {'cached:':<15}{'yes' if info['cached'] else 'no'}\n")
    if info["generator"]:
        requires = f" (needs {', '.join(info['requires'])})" if info["requires"] else ""
        out(f"  {'generator:':<15}{info['generator']}, seed {info['seed']}{requires}\n")
    if info["derive"]:
        out(f"  {'derived by:':<15}{info['derive']} (from the files below)\n")
    out("  tasks:\n")
    for t in info["tasks"]:
        target = f" target={t['target']!r}" if t["target"] else ""
        data = f" data_options={t['data_options']}" if t["data_options"] else ""
        out(f"    {t['task']}{target} reader_options={t['reader_options']}{data} splits={t['splits']}\n")
        if t["description"]:
            out(f"      {t['description']}\n")
    if info["files"]:
        out(f"  files ({len(info['files'])}, {_size(info['size'])} to download):\n")
    for f in info["files"][:20]:
        out(f"    {f['name']}  {_size(f['size'])}\n      url:    {f['url']}\n      sha256: {f['sha256'] or 'unknown'}\n")
        if f["mirror_sha256"]:
            out(f"      stored: {f['mirror_sha256']} (processed)\n")
        if f["note"]:
            out(f"      note:   {f['note']}\n")
        if f["in_mirror"]:
            out(f"      mirror: {f['in_mirror']}\n")
    if len(info["files"]) > 20:
        out(f"    ... and {len(info['files']) - 20} more (--json lists them all)\n")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    entry = get_dataset(args.name)
    checked: list = []
    folder = fetch(entry, seed=args.seed, progress=sys.stderr.isatty(), verify=args.verify, checked=checked)
    n = sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    print(f"{entry.name}: {n} file(s) in {folder}")
    hashed = sum(c.hashed for c in checked)
    parts = [f"{len(entry.files) - len(checked)} fetched and verified (SHA-256)" if len(entry.files) > len(checked) else "",
             f"{hashed} already cached, SHA-256 checked now" if hashed else "",
             f"{len(checked) - hashed} already cached, size and time unchanged since verified "
             "(--verify re-hashes them)" if len(checked) > hashed else ""]
    if any(parts):
        print(f"  downloaded files: {', '.join(p for p in parts if p)}")
    if entry.offline or entry.derived:
        how = "generated" if entry.offline else "derived from the downloaded files"
        print(f"  {how} by the plugin; unchanged since then"
              + (" (every file's SHA-256 checked now)" if args.verify else " (size and time; --verify re-hashes)"))
    return 0


__all__ = ["add_parser", "describe", "summary"]
