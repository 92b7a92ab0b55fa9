"""The download path against a local HTTP server: success, wrong checksum, interruption, resume, offline."""

from __future__ import annotations

import hashlib
import socket

import pytest

from polyseq.catalog import download
from polyseq.errors import DatasetError

DATA = bytes(range(256)) * 400  # 102,400 bytes
SHA = hashlib.sha256(DATA).hexdigest()


def test_download_verifies_and_renames_atomically(server, tmp_path):
    base, files = server
    files.content["/data.bin"] = DATA
    dest = tmp_path / "data.bin"
    assert download(f"{base}/data.bin", dest, SHA, len(DATA), progress=False) == SHA
    assert dest.read_bytes() == DATA
    assert not (tmp_path / "data.bin.part").exists()


def test_wrong_checksum_names_url_expected_and_got_and_leaves_nothing(server, tmp_path):
    base, files = server
    files.content["/data.bin"] = DATA
    dest = tmp_path / "data.bin"
    wrong = "0" * 64
    with pytest.raises(DatasetError) as err:
        download(f"{base}/data.bin", dest, wrong, what="dataset 'x'", progress=False)
    message = str(err.value)
    assert f"{base}/data.bin" in message and wrong in message and SHA in message and "dataset 'x'" in message
    assert list(tmp_path.iterdir()) == []  # neither the file nor a .part


def test_interrupted_transfer_resumes_with_a_range_request(server, tmp_path):
    base, files = server
    files.content["/data.bin"] = DATA
    files.cut_after["/data.bin"] = 30_000
    dest = tmp_path / "data.bin"
    assert download(f"{base}/data.bin", dest, SHA, len(DATA), backoff=0, progress=False) == SHA
    assert dest.read_bytes() == DATA
    assert [r for _, r in files.requests] == [None, "bytes=30000-"]


def test_a_part_left_by_an_earlier_run_is_resumed(server, tmp_path):
    base, files = server
    files.content["/data.bin"] = DATA
    (tmp_path / "data.bin.part").write_bytes(DATA[:50_000])
    download(f"{base}/data.bin", tmp_path / "data.bin", SHA, len(DATA), progress=False)
    assert (tmp_path / "data.bin").read_bytes() == DATA
    assert files.requests == [("/data.bin", "bytes=50000-")]


def test_a_server_ignoring_range_gives_a_clean_retry(server, tmp_path):
    base, files = server
    files.content["/data.bin"] = DATA
    files.cut_after["/data.bin"] = 10_000
    files.ignore_range = True
    download(f"{base}/data.bin", tmp_path / "data.bin", SHA, len(DATA), backoff=0, progress=False)
    assert (tmp_path / "data.bin").read_bytes() == DATA


def test_a_transfer_that_keeps_failing_keeps_its_part_and_says_what_to_do(server, tmp_path):
    base, files = server
    files.content["/data.bin"] = DATA
    files.cut_after["/data.bin"] = 10_000
    with pytest.raises(DatasetError) as err:
        download(f"{base}/data.bin", tmp_path / "data.bin", SHA, len(DATA), retries=0, progress=False)
    assert "POLYSEQ_DATA_MIRROR" in str(err.value) and f"{base}/data.bin" in str(err.value)
    assert not (tmp_path / "data.bin").exists()
    assert (tmp_path / "data.bin.part").stat().st_size == 10_000


def test_http_404_is_a_clear_error_without_retries(server, tmp_path):
    base, files = server
    with pytest.raises(DatasetError, match="HTTP 404"):
        download(f"{base}/missing.bin", tmp_path / "x", None, progress=False)
    assert len(files.requests) == 1


def test_no_network_names_the_url_and_the_mirror_variable(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/esol.csv"
    with pytest.raises(DatasetError) as err:
        download(url, tmp_path / "esol.csv", SHA, retries=1, backoff=0, progress=False)
    assert url in str(err.value) and "POLYSEQ_DATA_MIRROR" in str(err.value)
    assert list(tmp_path.iterdir()) == []
