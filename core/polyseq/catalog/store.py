"""Getting a dataset's files into the cache: mirror first, then download; or generate it.

Layout: `$POLYSEQ_CACHE/datasets/<name>/<file name>` for a downloaded dataset,
`$POLYSEQ_CACHE/datasets/<name>/seed-<seed>/` for an offline (generated) one, and
`$POLYSEQ_CACHE/datasets/<name>/derived/` for the files an entry's `derive` makes from its
downloaded ones. A file is only ever put in place by a rename, after its checksum was verified,
and a generated or derived folder only when its function finished: what is in the cache is
complete. A file another entry lists too (same checksum) is taken from that entry's cache
folder (a hard link where the file system allows it) instead of being fetched twice.

Environment:
    POLYSEQ_CACHE         the cache root (see polyseq.data.cache_root)
    POLYSEQ_DATA_MIRROR   folders (separated by os.pathsep) holding copies of the datasets, looked
                          at before any download; each file's `mirror_path` is relative to them
    POLYSEQ_OFFLINE=1     never download: a file not in the cache or a mirror is an error
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

from polyseq.catalog.download import download, sha256_of
from polyseq.catalog.entry import DatasetEntry, RemoteFile
from polyseq.data import cache_root, write_atomically
from polyseq.domain import resolve
from polyseq.errors import DatasetError, unknown_name

MIRROR_VAR = "POLYSEQ_DATA_MIRROR"
OFFLINE_VAR = "POLYSEQ_OFFLINE"


class ChecksumWarning(UserWarning):
    """A file was accepted without a published checksum to verify it against."""


def mirror_folders() -> list[Path]:
    """The existing folders listed in POLYSEQ_DATA_MIRROR, in order."""
    value = os.environ.get(MIRROR_VAR, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p and Path(p).expanduser().is_dir()]


def offline() -> bool:
    return os.environ.get(OFFLINE_VAR, "") not in ("", "0", "false", "no")


def datasets_root() -> Path:
    return cache_root() / "datasets"


# ---- the registry's datasets ---------------------------------------------------------------------


def datasets() -> dict[str, DatasetEntry]:
    """Every registered dataset entry, by name."""
    from polyseq.plugins import registry

    return {name: e.ref for name, e in registry().datasets.items()}


def get_dataset(name: str | DatasetEntry) -> DatasetEntry:
    """The entry named `name` (an entry is returned as is); an unknown name lists the known ones."""
    if isinstance(name, DatasetEntry):
        return name
    from polyseq.plugins import registry

    reg = registry()
    if name not in reg.datasets:
        err = unknown_name("dataset", name, reg.datasets)
        err.args = (err.args[0] + " `polyseq datasets` lists them.",)
        raise err
    return reg.datasets[name].ref


# ---- where things are ------------------------------------------------------------------------------


def files_folder(entry: DatasetEntry) -> Path:
    """Where the entry's downloaded files (`entry.files`) are cached."""
    return datasets_root() / entry.name


def dataset_folder(entry: DatasetEntry, seed: int | None = None) -> Path:
    """The folder the entry's split patterns are relative to (what `fetch` returns)."""
    folder = files_folder(entry)
    if entry.offline:
        return folder / f"seed-{entry.seed if seed is None else seed}"
    return folder / "derived" if entry.derived else folder


def is_cached(entry: DatasetEntry, seed: int | None = None) -> bool:
    if entry.offline or entry.derived:
        return dataset_folder(entry, seed).is_dir()
    folder = files_folder(entry)
    return all((folder / f.name).is_file() for f in entry.files)


def find_in_mirror(file: RemoteFile) -> Path | None:
    if not file.mirror_path:
        return None
    for mirror in mirror_folders():
        candidate = mirror / file.mirror_path
        if candidate.is_file():
            return candidate
    return None


# ---- fetching -------------------------------------------------------------------------------------


def fetch(
    dataset: str | DatasetEntry, *, seed: int | None = None, progress: bool = True, verify: bool = False
) -> Path:
    """Make every file of `dataset` present in the cache and return its folder (`dataset_folder`).

    Offline datasets are generated (once per seed). For downloaded ones, each missing file is
    taken from another entry's cache, copied from a mirror (verified) or downloaded (verified,
    resumable); `verify=True` also re-checks the files already cached. A derived dataset then
    runs its `derive` once over the files.
    """
    entry = get_dataset(dataset)
    if entry.offline:
        return _generate(entry, entry.seed if seed is None else seed)
    if entry.derived and dataset_folder(entry).is_dir() and not verify:
        return dataset_folder(entry)
    folder = files_folder(entry)
    many = len(entry.files) > 20
    bar = _files_bar(entry, progress) if many else None
    try:
        for file in entry.files:
            _fetch_file(entry, file, folder / file.name, progress=progress and not many, verify=verify)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return _derive(entry, folder) if entry.derived else folder


def split_files(
    dataset: str | DatasetEntry, task: str | None = None, *, seed: int | None = None, progress: bool = True
) -> dict[str, list[Path]]:
    """Fetch the dataset, then split -> its files for `task` (glob patterns expanded, sorted)."""
    entry = get_dataset(dataset)
    folder = fetch(entry, seed=seed, progress=progress)
    out: dict[str, list[Path]] = {}
    for split, patterns in entry.split_patterns(task).items():
        paths: list[Path] = []
        for pattern in patterns:
            matches = sorted(folder.glob(pattern))
            if not matches:
                raise DatasetError(f"dataset {entry.name!r}: no file {pattern!r} in {folder} for the {split} split "
                                   f"(a plugin bug, or a damaged cache: delete {folder} and fetch again)")
            paths += matches
        out[split] = paths
    return out


def _files_bar(entry: DatasetEntry, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=len(entry.files), unit="file", desc=entry.name, leave=False)


def _fetch_file(entry: DatasetEntry, file: RemoteFile, dest: Path, *, progress: bool, verify: bool) -> None:
    what = f"dataset {entry.name!r}, file {file.name!r}"
    expected = file.stored_sha256
    if dest.is_file():
        if not verify or expected is None:
            return
        got = sha256_of(dest)
        if got == expected:
            return
        warnings.warn(f"{what}: cached copy {dest} has SHA-256 {got}, expected {expected}; fetching it again",
                      stacklevel=3)
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if _link_from_other_entry(entry, file, dest):
        return
    local = find_in_mirror(file)
    if local is not None:
        got = sha256_of(local)
        if expected is not None and got != expected:
            raise DatasetError(f"{what}: the mirror copy {local} has SHA-256 {got}, expected {expected}. "
                               f"Replace it with a good copy, or remove it from {MIRROR_VAR} to download {file.url}.")
        if expected is None:
            warnings.warn(f"{what}: {local} accepted without verification (no checksum is known; got {got})",
                          ChecksumWarning, stacklevel=3)
        _copy_atomically(local, dest)
        return
    if offline():
        raise DatasetError(f"{what}: not in the cache and {OFFLINE_VAR} is set; cannot download {file.url}. "
                           f"Set {MIRROR_VAR} to a folder holding {file.mirror_path or file.name}, or unset {OFFLINE_VAR}.")
    _download_file(entry, file, dest, what, progress)


def _download_file(entry: DatasetEntry, file: RemoteFile, dest: Path, what: str, progress: bool) -> None:
    if file.assemble is not None:
        _assemble(file, dest, what, progress)
        return
    if file.process is None:
        got = download(file.url, dest, file.sha256, file.size, what=what, progress=progress)
        if file.sha256 is None:
            warnings.warn(f"{what}: {file.url} has no published checksum; accepted unverified (SHA-256 {got})",
                          ChecksumWarning, stacklevel=4)
        return
    raw = dest.parent / ".downloads" / f"{dest.name}.upstream"
    got = download(file.url, raw, file.sha256, file.size, what=what, progress=progress)
    tmp = dest.with_name(f".{dest.name}.processing")
    try:
        resolve(file.process, f"{what}: process")(raw, tmp)
        result = sha256_of(tmp)
        if result != file.mirror_sha256:
            message = (f"{what}: processing {file.url} gave SHA-256 {result}, the reference copy has "
                       f"{file.mirror_sha256}")
            if file.sha256 is not None:  # a verified input processed wrongly: a bug, not a network problem
                raise DatasetError(message + ". Please report this as a polyseq bug.")
            warnings.warn(message + f" (the upstream file has no published checksum; got {got}). "
                          "The processed file is kept; results may differ slightly from the reference copy.",
                          ChecksumWarning, stacklevel=4)
        os.replace(tmp, dest)
        raw.unlink()
    finally:
        tmp.unlink(missing_ok=True)


def _assemble(file: RemoteFile, dest: Path, what: str, progress: bool) -> None:
    parts = dest.parent / ".downloads" / f"{dest.name}.parts"

    def get(url: str) -> bytes:
        part = parts / hashlib.sha256(url.encode()).hexdigest()[:16]
        if not part.is_file():
            download(url, part, None, what=f"{what}: {url.rsplit('/', 1)[-1]}", progress=False)
        return part.read_bytes()

    tmp = dest.with_name(f".{dest.name}.assembling")
    try:
        resolve(file.assemble, f"{what}: assemble")(tmp, get)
        result = sha256_of(tmp)
        if result != file.mirror_sha256:
            raise DatasetError(f"{what}: the file assembled from the sources listed at {file.url} has SHA-256 "
                               f"{result}, expected {file.mirror_sha256}; it was not kept. A source may have "
                               f"changed: set {MIRROR_VAR} to a folder holding {file.mirror_path}, or report it.")
        os.replace(tmp, dest)
        shutil.rmtree(parts, ignore_errors=True)
    finally:
        tmp.unlink(missing_ok=True)


def _link_from_other_entry(entry: DatasetEntry, file: RemoteFile, dest: Path) -> bool:
    """Put in `dest` the same file (same stored checksum) cached by another entry; False if none is."""
    expected = file.stored_sha256
    if expected is None:
        return False
    for other in datasets().values():
        if other.name == entry.name or other.offline:
            continue
        for same in (f for f in other.files if f.stored_sha256 == expected):
            cached = files_folder(other) / same.name
            if cached.is_file() and sha256_of(cached) == expected:
                _copy_atomically(cached, dest, link=True)
                return True
    return False


def _copy_atomically(source: Path, dest: Path, link: bool = False) -> None:
    tmp = dest.with_name(f".{dest.name}.copying")
    try:
        tmp.unlink(missing_ok=True)
        if link:
            try:
                os.link(source, tmp)
            except OSError:  # another file system, or one without hard links
                shutil.copyfile(source, tmp)
        else:
            shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _derive(entry: DatasetEntry, files: Path) -> Path:
    folder = dataset_folder(entry)
    if folder.is_dir():
        return folder
    derive = resolve(entry.derive, f"dataset {entry.name!r}: derive")
    write_atomically(folder, lambda tmp: derive(files, tmp))
    return folder


def _generate(entry: DatasetEntry, seed: int) -> Path:
    folder = dataset_folder(entry, seed)
    if folder.is_dir():
        return folder
    missing = [m for m in entry.requires if importlib.util.find_spec(m) is None]
    if missing:
        raise DatasetError(f"dataset {entry.name!r} needs {', '.join(missing)}, which is not installed. "
                           f"Install it (pip install {' '.join(missing)}), or choose another dataset "
                           f"(`polyseq datasets --domain {entry.domain}`).")
    generator = resolve(entry.generator, f"dataset {entry.name!r}: generator")
    write_atomically(folder, lambda tmp: generator(tmp, seed))
    return folder
