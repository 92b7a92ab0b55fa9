import os

# Two cores: torch's default of two threads per process thrashes when pytest-xdist or another
# process is busy (measured 10-100x slower); one thread is the fast choice here.
os.environ.setdefault("OMP_NUM_THREADS", "1")

pytest_plugins = ["polyseq.testing", "pytester"]

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_mirror() -> Path:
    """The folder of real datasets (POLYSEQ_DATA_MIRROR). The real-data suite runs only when asked
    for (`-m realdata`); asked for without its data, it fails, saying what to set - it never skips."""
    value = os.environ.get("POLYSEQ_DATA_MIRROR", "")
    folders = [Path(p) for p in value.split(os.pathsep) if p and Path(p).is_dir()]
    if not folders:
        pytest.fail(f"the real-data suite (-m realdata) needs POLYSEQ_DATA_MIRROR set to the folder of real "
                    f"datasets (../shared/data here); got {value!r}", pytrace=False)
    return folders[0]


@pytest.fixture(scope="session")
def realdata_cache(tmp_path_factory) -> Path:
    """One fresh dataset cache for the real-data modules of a session: a dataset fetched and derived
    once (USPTO-50k takes about a minute to canonicalise) serves every module that reads it."""
    return tmp_path_factory.mktemp("realdata-cache")
