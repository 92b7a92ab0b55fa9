"""The dataset catalog: named datasets that plugins register, fetched and verified on first use.

A plugin registers `DatasetEntry`s through the `register_datasets` hook. An entry either lists
remote files (canonical URL pinned to a commit or release, SHA-256, size; each file looked up
first in the folders of POLYSEQ_DATA_MIRROR, then downloaded into POLYSEQ_CACHE) or names a
generator that writes an offline dataset deterministically from a seed. An entry's `derive` step
turns downloaded raw material (a GenBank file, one CSV of every split) into the files its tasks
read. Read `entry.py` for what an entry holds, `store.py` for where files come from,
`download.py` for the transfer itself.

    from polyseq.catalog import fetch, split_files
    folder = fetch("esol")                       # verified files in the cache
    files = split_files("esol", "regress")       # {"train": [Path(...)]}
"""

from polyseq.catalog.download import download, sha256_of
from polyseq.catalog.entry import DatasetEntry, RemoteFile, TaskSpec
from polyseq.catalog.store import (
    MIRROR_VAR,
    OFFLINE_VAR,
    ChecksumWarning,
    dataset_folder,
    datasets,
    datasets_root,
    fetch,
    files_folder,
    find_in_mirror,
    get_dataset,
    is_cached,
    mirror_folders,
    split_files,
)

__all__ = [
    "MIRROR_VAR", "OFFLINE_VAR", "ChecksumWarning", "DatasetEntry", "RemoteFile", "TaskSpec", "dataset_folder",
    "datasets", "datasets_root", "download", "fetch", "files_folder", "find_in_mirror", "get_dataset", "is_cached",
    "mirror_folders", "sha256_of", "split_files",
]
