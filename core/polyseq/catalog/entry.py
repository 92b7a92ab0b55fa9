"""What a catalog entry says about a dataset: its files, its tasks, where it comes from.

Plain frozen dataclasses: importing this module imports nothing heavy, so a plugin can build its
entries at import time. Callables (`generator`, `derive`, `RemoteFile.process`) may be
`"module:attr"` strings, imported on first use like a Domain's parts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from polyseq.errors import ConfigError

Ref = Any  # a callable, or a "module:attr" string naming one
#: names of dataset splits an entry (or a task) may provide files for
SPLITS = ("train", "val", "test")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
#: --data options a TaskSpec or the entry sets through its own fields
_OWN_FIELDS = ("task", "target", "reader_options", "dataset", "domain", "train", "val", "test")


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset, as published at its canonical source.

    name: where the file lives inside the dataset's cache folder (`input.txt`, `melody/jigs1.mid`);
        the suffix is what the domain's reader is chosen by.
    url: the canonical public URL (pinned to a commit or a release).
    sha256: checksum of the file at `url`; None when it is not known (the file is then accepted
        unverified and a warning says so: see `note`).
    size: bytes at `url` (progress bar; a mismatch is an error), None when unknown.
    mirror_path: the file's path relative to a folder listed in POLYSEQ_DATA_MIRROR.
    mirror_sha256: checksum of the stored file when it differs from the upstream one, i.e. when
        `process` turns the download into it (the mirror holds the processed copy). A mirror copy
        is always verified against `stored_sha256`.
    process: `process(downloaded: Path, out: Path) -> None` turning the upstream file into the
        stored one (subset, cleanup, extraction from an archive); None: stored as downloaded.
    assemble: for a file built from many downloads (`url` is then the project's page):
        `assemble(out: Path, get) -> None`, where `get(url) -> bytes` downloads one part (with
        retries). The result is verified against `mirror_sha256`.
    note: anything a user should know about this file (processing, unknown checksum).
    """

    name: str
    url: str
    sha256: str | None
    size: int | None = None
    mirror_path: str | None = None
    mirror_sha256: str | None = None
    process: Ref | None = None
    assemble: Ref | None = None
    note: str = ""

    def __post_init__(self) -> None:
        problems = []
        for label, value in (("sha256", self.sha256), ("mirror_sha256", self.mirror_sha256)):
            if value is not None and not _SHA256.match(value):
                problems.append(f"RemoteFile {self.name!r}: {label} must be 64 lower-case hex digits, got {value!r}")
        if (self.process is not None or self.assemble is not None) and self.mirror_sha256 is None:
            problems.append(f"RemoteFile {self.name!r}: a processed file needs mirror_sha256 (the stored copy's checksum)")
        if self.name.startswith("/") or ".." in self.name.split("/"):
            problems.append(f"RemoteFile {self.name!r}: name must be a relative path inside the dataset folder")
        if problems:
            raise ConfigError(problems)

    @property
    def stored_sha256(self) -> str | None:
        """The checksum of the file polyseq keeps (processed copy, or the download itself)."""
        return self.mirror_sha256 or self.sha256


@dataclass(frozen=True)
class TaskSpec:
    """How a dataset is used for one task.

    task: the name of a registered task (lm, mlm, classify, regress, tag, seq2seq...). Whether the
        task needs a target is the task's own rule, checked when the data module is built.
    target: what `--data.target` takes: the label (classify), value column(s) (regress), per-base
        labels (tag) or target sequence (seq2seq) column.
    reader_options: passed to the domain's reader (the option names of that reader: e.g.
        `target=` (the label or value column, in every domain), `column=` (the sample column), `window=`/`stride=` for genomes).
    data_options: other `--data.*` defaults for this task, named as the data module's arguments
        without the prefix (`{"target_domain": "text", "target_tokenizer": "char"}`); what the
        user passes on the command line wins.
    splits: files for this task when they differ from the entry's (split -> names or globs).
    """

    task: str
    target: str | Sequence[str] | None = None
    reader_options: Mapping[str, Any] = field(default_factory=dict)
    splits: Mapping[str, Sequence[str]] | None = None
    description: str = ""
    data_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.task, str) or not self.task:
            problems.append(f"TaskSpec.task must be a task name (lm, classify, tag...), got {self.task!r}")
        for key in self.data_options:
            if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
                problems.append(f"TaskSpec({self.task!r}).data_options: {key!r} is not the name of a --data option "
                                "(write it without the --data. prefix, e.g. target_domain)")
            elif key in _OWN_FIELDS:
                problems.append(f"TaskSpec({self.task!r}).data_options: give {key!r} as the TaskSpec's own field, "
                                "not in data_options")
        if problems:
            raise ConfigError(problems)


@dataclass(frozen=True)
class DatasetEntry:
    """A named dataset: what it is, where its files come from, and how each task reads it.

    Either `files` (downloaded, verified, cached; looked up first in POLYSEQ_DATA_MIRROR) or
    `generator` (an offline dataset: `generator(folder: Path, seed: int) -> None` writes the files
    named in `splits`, deterministically for a seed, into the cache on first use).

    derive: for files that are the raw material rather than the dataset (a GenBank file that
        becomes per-base labels, one file that becomes train/val/test CSVs):
        `derive(files: Path, out: Path) -> None` reads the verified `files` from the folder
        `files` and writes the files named in `splits` into the empty folder `out`,
        deterministically (the same input gives the same bytes). It runs once, after the files
        are fetched; its output is cached beside them. Entries that list the same file (same
        checksum) share one download.

    splits: split -> file names or glob patterns inside the dataset folder; default: every file
        in `train`. Without val, the data module splits train with `default_split`.
    default_split: the domain split used when the entry has no val files (`scaffold` for
        molecules); None: the data module's own default (random).
    requires: modules the dataset needs beyond the domain's (an optional extra such as music21);
        fetching without them is an error that says what to install.
    """

    name: str
    domain: str
    description: str
    licence: str
    citation: str
    tasks: Sequence[TaskSpec]
    files: Sequence[RemoteFile] = ()
    generator: Ref | None = None
    derive: Ref | None = None
    splits: Mapping[str, Sequence[str]] | None = None
    default_split: str | None = None
    seed: int = 0
    requires: Sequence[str] = ()
    homepage: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        problems = []
        if not _NAME.match(self.name):
            problems.append(f"DatasetEntry.name must be lower-case letters, digits, '_', '-' or '.', got {self.name!r}")
        if bool(self.files) == (self.generator is not None):
            problems.append(f"dataset {self.name!r}: give either files (downloaded) or a generator (offline), not both or neither")
        if not self.tasks:
            problems.append(f"dataset {self.name!r}: tasks must list at least one TaskSpec")
        for mapping in [self.splits or {}] + [t.splits or {} for t in self.tasks]:
            unknown = [s for s in mapping if s not in SPLITS]
            if unknown:
                problems.append(f"dataset {self.name!r}: unknown split(s) {unknown}; splits are {', '.join(SPLITS)}")
        if self.generator is not None and not self.splits:
            problems.append(f"dataset {self.name!r}: an offline dataset must name its files in splits")
        if self.derive is not None and not self.files:
            problems.append(f"dataset {self.name!r}: derive needs files to derive from (an offline dataset's "
                            "generator writes its files itself)")
        if self.derive is not None and not self.splits:
            problems.append(f"dataset {self.name!r}: a derived dataset must name the files derive writes in splits")
        names = [f.name for f in self.files]
        if len(set(names)) != len(names):
            problems.append(f"dataset {self.name!r}: two files share a name")
        if problems:
            raise ConfigError(problems)

    @property
    def offline(self) -> bool:
        """True for a dataset polyseq generates (no download)."""
        return self.generator is not None

    @property
    def derived(self) -> bool:
        """True for a dataset whose split files `derive` makes from the downloaded ones."""
        return self.derive is not None

    @property
    def task_names(self) -> list[str]:
        return [t.task for t in self.tasks]

    def task(self, name: str | None = None) -> TaskSpec:
        """The spec of task `name` (the first task when None); an unknown task names the choices."""
        if name is None:
            return self.tasks[0]
        specs = {spec.task: spec for spec in self.tasks}
        if name in specs:
            return specs[name]
        raise ConfigError(
            f"dataset {self.name!r} has no task {name!r}. Its tasks: {', '.join(self.task_names)} "
            f"(`polyseq datasets info {self.name}` describes them)"
        )

    def split_patterns(self, task: str | None = None) -> dict[str, list[str]]:
        """split -> file names or glob patterns (relative to the dataset folder) for a task."""
        spec = self.task(task) if task is not None else None
        chosen = (spec.splits if spec is not None else None) or self.splits
        if chosen is None:
            return {"train": [f.name for f in self.files]}
        return {s: [chosen[s]] if isinstance(chosen[s], str) else list(chosen[s]) for s in SPLITS if s in chosen}

    @property
    def download_size(self) -> int | None:
        """Bytes to download (None when a size is unknown, 0 for an offline dataset)."""
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(sizes)  # type: ignore[misc]
