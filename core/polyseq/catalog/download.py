"""Downloading one file: resumable, verified, atomic. urllib only.

The bytes go to `<dest>.part`; only a file whose size and SHA-256 match is renamed to `dest`, so
an interrupted or corrupt transfer never leaves a file that looks complete. A transfer cut short
resumes from the `.part` with an HTTP Range request (a server that ignores Range sends the whole
file again, and the `.part` is restarted). A wrong checksum deletes the `.part` and is an error:
downloading again would not help.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

from polyseq.errors import DatasetError

CHUNK = 1 << 16
USER_AGENT = "polyseq-catalog (urllib)"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Progress:
    """tqdm when installed, else a one-line counter on stderr; silent when disabled."""

    def __init__(self, total: int | None, desc: str, enabled: bool, initial: int = 0):
        self.bar: Any = None
        self.enabled, self.total, self.done, self.desc, self._last = enabled, total, initial, desc, 0.0
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
                        leave=False, file=sys.stderr)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and time.monotonic() - self._last > 0.5:
            self._last = time.monotonic()
            of = f" of {self.total / 1e6:.1f} MB" if self.total else ""
            sys.stderr.write(f"\r{self.desc}: {self.done / 1e6:.1f} MB{of}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self._last:
            sys.stderr.write("\n")


def _expected_total(response: Any, offset: int) -> int | None:
    if response.status == 206:
        content_range = response.headers.get("Content-Range", "")  # bytes 100-199/200
        total = content_range.rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def _transfer(url: str, part: Path, size: int | None, desc: str, progress: bool, timeout: float) -> None:
    """One attempt: continue `part` from where it stops. Raises OSError-like errors on failure."""
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset == size:
        return  # complete already (an earlier attempt died before the rename)
    if size is not None and offset > size:
        part.unlink()
        offset = 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:  # nothing more to send: what we have is everything
            return
        raise
    with response:
        if offset and response.status != 206:  # Range ignored: start again
            offset = 0
        total = _expected_total(response, offset)
        bar = _Progress(total if total is not None else size, desc, progress, initial=offset)
        try:
            with open(part, "ab" if offset else "wb") as out:
                _copy(response, out, bar)
        finally:
            bar.close()
    got = part.stat().st_size
    if total is not None and got < total:
        raise http.client.IncompleteRead(b"", total - got)


def _copy(response: Any, out: BinaryIO, bar: _Progress) -> None:
    while True:
        block = response.read(CHUNK)
        if not block:
            return
        out.write(block)
        bar.update(len(block))


def download(
    url: str,
    dest: Path,
    sha256: str | None,
    size: int | None = None,
    *,
    what: str = "",
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 60.0,
    progress: bool = True,
) -> str:
    """Download `url` to `dest` (atomically), resuming a `.part`; returns the file's SHA-256.

    `what` names the dataset and file in errors. A checksum or size mismatch deletes the `.part`
    and raises DatasetError naming the URL, the expected and the received values. A network
    failure is retried `retries` times (resuming) and then raised as DatasetError.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    desc = what or dest.name
    error: BaseException | None = None
    for attempt in range(retries + 1):
        try:
            _transfer(url, part, size, desc, progress, timeout)
            error = None
            break
        except urllib.error.HTTPError as e:
            if e.code < 500 and e.code != 429:  # 404 and the like: retrying cannot help
                raise DatasetError(f"{desc}: {url} answered HTTP {e.code} {e.reason}. The source may have moved; "
                                   "report it, or put a copy in a folder listed in POLYSEQ_DATA_MIRROR.") from e
            error = e
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            error = e
        if attempt < retries:
            time.sleep(backoff * (attempt + 1))
    if error is not None:
        reason = getattr(error, "reason", None) or error
        message = (f"{desc}: cannot download {url} ({type(error).__name__}: {reason}). Offline? Set "
                   f"POLYSEQ_DATA_MIRROR to a folder holding a copy of the dataset, or place the file at {dest} yourself.")
        if part.exists():
            message += f" The partial download {part} is resumed next time."
        raise DatasetError(message) from error
    got_size = part.stat().st_size
    if size is not None and got_size != size:
        part.unlink()
        raise DatasetError(f"{desc}: {url} gave {got_size} bytes, expected {size}. The partial file was deleted; "
                           "run the command again, and report it if this repeats.")
    got = sha256_of(part)
    if sha256 is not None and got != sha256:
        part.unlink()
        raise DatasetError(f"{desc}: checksum mismatch for {url}: expected SHA-256 {sha256}, got {got}. "
                           "The download was deleted. The file may have changed upstream or been corrupted "
                           "in transit; run the command again, and report it if this repeats.")
    os.replace(part, dest)
    return got
