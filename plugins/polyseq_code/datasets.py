"""Catalog entries of the code domain: TheAlgorithms in 11 languages, and Python's standard library.

`DATASETS` is what `register_datasets` registers. Importing this module imports nothing heavy
(the 1,308-file list of TheAlgorithms is imported only when that dataset is downloaded).
"""

from __future__ import annotations

import json
import random
import sysconfig
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from polyseq import DatasetEntry, RemoteFile, TaskSpec, hookimpl

_RAW = "https://raw.githubusercontent.com"


def assemble_thealgorithms(out: Path, get: Callable[[str], bytes]) -> None:
    """Download each listed source file at its pinned commit and write the JSON Lines dataset:
    `id, language, source_repo, source_commit, path, n_chars, code`, one file per line, in the
    order of the reference copy (so the result is byte-identical to it)."""
    from polyseq_code.thealgorithms_files import FILES, REPOS

    with open(out, "w", encoding="utf-8", newline="") as f:
        for line in FILES.splitlines():
            language, path, record_id = line.split("\t")
            repo, commit = REPOS[language]
            code = get(f"{_RAW}/{repo}/{commit}/{quote(path)}").decode("utf-8")
            record = {"id": record_id, "language": language, "source_repo": repo, "source_commit": commit,
                      "path": path, "n_chars": len(code), "code": code}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def stdlib_files(min_bytes: int = 2_000, max_bytes: int = 20_000) -> list[Path]:
    """Top-level modules of the running Python's standard library within a size range, sorted."""
    folder = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in folder.glob("*.py") if min_bytes <= p.stat().st_size <= max_bytes)


def generate_python_stdlib(folder: Path, seed: int, n: int = 150) -> None:
    """Python source from the standard library of the running interpreter (no network).

    `n` top-level modules of 2-20 kB, drawn with `seed`, written as JSON Lines
    (`{"path", "language": "Python", "code"}`) into train.jsonl (90 %) and val.jsonl (10 %).
    Same seed and Python version, same bytes.
    """
    files = stdlib_files()
    chosen = random.Random(seed).sample(files, min(n, len(files)))
    n_val = max(1, len(chosen) // 10)
    for split, part in (("val", chosen[:n_val]), ("train", chosen[n_val:])):
        with open(Path(folder) / f"{split}.jsonl", "w", encoding="utf-8", newline="\n") as f:
            for path in part:
                code = path.read_text(encoding="utf-8", errors="replace")
                f.write(json.dumps({"path": path.name, "language": "Python", "code": code}, ensure_ascii=False) + "\n")


THEALGORITHMS = DatasetEntry(
    name="thealgorithms",
    domain="code",
    description="TheAlgorithms: 1,308 source files in 11 languages; language identification and code LM",
    licence="MIT (each TheAlgorithms repository; keep 'Copyright (c) The Algorithms')",
    citation="The Algorithms, https://github.com/TheAlgorithms (Python, Java, C-Plus-Plus, Go, Rust, Ruby, "
             "Julia, R, PHP, TypeScript, Lua) at pinned commits",
    homepage="https://github.com/TheAlgorithms",
    files=(RemoteFile(
        "snippets.jsonl",
        url="https://github.com/TheAlgorithms",
        sha256=None,
        size=3_917_024,
        mirror_path="code/thealgorithms_multilang/snippets.jsonl",
        mirror_sha256="fd6990f42e845b04bdb0d0c0ee2e4b265ce62c1c6d792740325df2340cdd297c",
        assemble="polyseq_code.datasets:assemble_thealgorithms",
        note="assembled from 1,308 raw files at 11 pinned commits (list in polyseq_code/thealgorithms_files.py); "
             "no per-file checksums are published, the assembled file is verified against the reference copy",
    ),),
    tasks=(
        TaskSpec("classify", target="language", reader_options={"target": "language"},
                 description="11 classes, imbalanced (61-150 files each); never feed `path` (its suffix gives the answer)"),
        TaskSpec("lm", reader_options={"target": None}),
    ),
)

PYTHON_STDLIB = DatasetEntry(
    name="python_stdlib",
    domain="code",
    description="Offline: 150 modules of the running Python's standard library, for a code LM",
    licence="PSF License (Python standard library)",
    citation="Python Software Foundation, the Python standard library",
    generator="polyseq_code.datasets:generate_python_stdlib",
    splits={"train": ["train.jsonl"], "val": ["val.jsonl"]},
    tasks=(TaskSpec("lm", reader_options={"target": None, "language": "Python"}),),
    notes="generated from the running Python's standard library; same seed and Python version, same bytes",
)

DATASETS = (THEALGORITHMS, PYTHON_STDLIB)


@hookimpl
def register_datasets(register):  # noqa: ANN001, ANN201 - the hook's register callback
    for entry in DATASETS:
        register(entry)
