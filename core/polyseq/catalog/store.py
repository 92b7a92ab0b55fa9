"""Getting a dataset's files into the cache: mirror first, then download; or generate it.

Layout: `$POLYSEQ_CACHE/datasets/<name>/<file name>` for a downloaded dataset,
`$POLYSEQ_CACHE/datasets/<name>/seed-<seed>/` for an offline (generated) one, and
`$POLYSEQ_CACHE/datasets/<name>/derived/` for the files an entry's `derive` makes from its
downloaded ones. A file is only ever put in place by a rename, after its checksum was verified,
and a generated or derived folder only when its function finished: what is in the cache is
complete. Every use re-checks it cheaply (`stamps`: size and time against the verified stamp, the
SHA-256 again when they differ): a file replaced in the cache is fetched again, a changed generated
or derived folder is made again, with a warning naming the file. A file another entry lists too (same checksum) is taken from that entry's cache
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

from polyseq.catalog import stamps
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
    dataset: str | DatasetEntry, *, seed: int | None = None, progress: bool = True, verify: bool = False,
    checked: list[stamps.Check] | None = None,
) -> Path:
    """Make every file of `dataset` present in the cache and return its folder (`dataset_folder`).

    Offline datasets are generated (once per seed). For downloaded ones, each missing file is
    taken from another entry's cache, copied from a mirror (verified) or downloaded (verified,
    resumable). Files already cached are checked against their stamps (hashed again when their size
    or time changed); `verify=True` hashes them all. A derived dataset then runs its `derive` once
    over the files. `checked` collects one `stamps.Check` per file already in the cache and still good.
    """
    entry = get_dataset(dataset)
    if entry.offline:
        return _generate(entry, entry.seed if seed is None else seed, verify)
    if entry.derived and not verify and _made_folder(entry, dataset_folder(entry), verify):
        return dataset_folder(entry)  # what is trained on is there and unchanged: the sources are not needed
    folder = files_folder(entry)
    many = len(entry.files) > 20
    bar = _files_bar(entry, progress) if many else None
    try:
        for file in entry.files:
            _fetch_file(entry, file, folder / file.name, progress=progress and not many, verify=verify,
                        checked=checked)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return _derive(entry, folder, verify) if entry.derived else folder


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


def _fetch_file(entry: DatasetEntry, file: RemoteFile, dest: Path, *, progress: bool, verify: bool,
                checked: list[stamps.Check] | None = None) -> None:
    what = f"dataset {entry.name!r}, file {file.name!r}"
    expected = file.stored_sha256
    if dest.is_file():
        result = stamps.check_file(dest, expected, full=verify)
        if result.ok:
            if checked is not None:
                checked.append(result)
            return
        warnings.warn(f"{what}: the cached copy {dest} changed since it was verified (SHA-256 {result.sha256}, "
                      f"expected {expected or 'the one verified before'}); fetching it again", stacklevel=3)
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    stamps.record(dest, _put_in_place(entry, file, dest, what, progress))


def _put_in_place(entry: DatasetEntry, file: RemoteFile, dest: Path, what: str, progress: bool) -> str:
    """Copy, link or download `file` to `dest`; the SHA-256 of what was put there."""
    expected = file.stored_sha256
    if (linked := _link_from_other_entry(entry, file, dest)) is not None:
        return linked
    local = find_in_mirror(file)
    if local is not None:
        got = sha256_of(local)
        if expected is not None and got != expected:
            raise DatasetError(f"{what}: the mirror copy {local} has SHA-256 {got}, expected {expected}. "
                               f"Replace it with a good copy, or remove it from {MIRROR_VAR} to download {file.url}.")
        if expected is None:
            warnings.warn(f"{what}: {local} accepted without verification (no checksum is known; got {got})",
                          ChecksumWarning, stacklevel=4)
        _copy_atomically(local, dest)
        return got
    if offline():
        raise DatasetError(f"{what}: not in the cache and {OFFLINE_VAR} is set; cannot download {file.url}. "
                           f"Set {MIRROR_VAR} to a folder holding {file.mirror_path or file.name}, or unset {OFFLINE_VAR}.")
    return _download_file(entry, file, dest, what, progress)


def _download_file(entry: DatasetEntry, file: RemoteFile, dest: Path, what: str, progress: bool) -> str:
    if file.assemble is not None:
        return _assemble(file, dest, what, progress)
    if file.process is None:
        got = download(file.url, dest, file.sha256, file.size, what=what, progress=progress)
        if file.sha256 is None:
            warnings.warn(f"{what}: {file.url} has no published checksum; accepted unverified (SHA-256 {got})",
                          ChecksumWarning, stacklevel=5)
        return got
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
    return result


def _assemble(file: RemoteFile, dest: Path, what: str, progress: bool) -> str:
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
    return result


def _link_from_other_entry(entry: DatasetEntry, file: RemoteFile, dest: Path) -> str | None:
    """Put in `dest` the same file (same stored checksum) cached by another entry: its SHA-256, or None."""
    expected = file.stored_sha256
    if expected is None:
        return None
    for other in datasets().values():
        if other.name == entry.name or other.offline:
            continue
        for same in (f for f in other.files if f.stored_sha256 == expected):
            cached = files_folder(other) / same.name
            if cached.is_file() and stamps.check_file(cached, expected).ok:
                _copy_atomically(cached, dest, link=True)
                return expected
    return None


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


def _made_folder(entry: DatasetEntry, folder: Path, verify: bool) -> bool:
    """Is the generated or derived `folder` there and unchanged? A changed one is removed, with a warning."""
    if not folder.is_dir():
        return False
    changes = stamps.folder_changes(folder, full=verify)
    if not changes:
        return True
    warnings.warn(f"dataset {entry.name!r}: {folder} changed since it was made ({'; '.join(changes[:3])}"
                  f"{'; ...' if len(changes) > 3 else ''}); making it again", stacklevel=4)
    shutil.rmtree(folder)
    stamps.manifest_path(folder).unlink(missing_ok=True)
    return False


def _make_folder(folder: Path, fill: Any) -> None:
    write_atomically(folder, fill)
    stamps.record_folder(folder)


def _derive(entry: DatasetEntry, files: Path, verify: bool = False) -> Path:
    folder = dataset_folder(entry)
    if _made_folder(entry, folder, verify):
        return folder
    derive = resolve(entry.derive, f"dataset {entry.name!r}: derive")
    _make_folder(folder, lambda tmp: derive(files, tmp))
    return folder


def _generate(entry: DatasetEntry, seed: int, verify: bool = False) -> Path:
    folder = dataset_folder(entry, seed)
    if _made_folder(entry, folder, verify):
        return folder
    missing = [m for m in entry.requires if importlib.util.find_spec(m) is None]
    if missing:
        raise DatasetError(f"dataset {entry.name!r} needs {', '.join(missing)}, which is not installed. "
                           f"Install it (pip install {' '.join(missing)}), or choose another dataset "
                           f"(`polyseq datasets --domain {entry.domain}`).")
    generator = resolve(entry.generator, f"dataset {entry.name!r}: generator")
    _make_folder(folder, lambda tmp: generator(tmp, seed))
    return folder
