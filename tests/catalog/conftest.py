"""Fixtures of the catalog tests: an isolated cache, no mirror, a local HTTP server, test entries."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from polyseq import hookimpl, plugins


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every catalog test gets its own POLYSEQ_CACHE, no mirror, and is allowed to use 127.0.0.1 only."""
    monkeypatch.setenv("POLYSEQ_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("POLYSEQ_DATA_MIRROR", raising=False)
    monkeypatch.delenv("POLYSEQ_OFFLINE", raising=False)
    return tmp_path / "cache"


@dataclass
class Files:
    """What the test server serves, and how it misbehaves."""

    content: dict[str, bytes] = field(default_factory=dict)
    cut_after: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before closing (once)
    ignore_range: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)


@pytest.fixture
def server() -> Iterator[tuple[str, Files]]:
    """An HTTP server on 127.0.0.1 (a free port) serving `Files`; yields (base URL, files)."""
    files = Files()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            pass

        def do_GET(self):  # noqa: N802 - the http.server API
            range_header = self.headers.get("Range")
            files.requests.append((self.path, range_header))
            data = files.content.get(self.path)
            if data is None:
                self.send_error(404)
                return
            start = 0
            if range_header and not files.ignore_range:
                start = int(range_header.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            cut = files.cut_after.pop(self.path, None)
            if cut is not None:
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def register_entries():
    """Register DatasetEntry objects through a test plugin (unregistered on teardown)."""
    names: list[str] = []

    def register(*entries, name: str | None = None) -> str:
        class Plugin:
            @hookimpl
            def register_datasets(self, register):
                for entry in entries:
                    register(entry)

        names.append(plugins.register(Plugin(), name=name or f"test-datasets-{len(names)}"))
        return names[-1]

    yield register
    for name in names:
        plugins.unregister(name)


@pytest.fixture
def domain_datasets(register_entries):
    """The six domains' catalog entries, registered explicitly when the plugins do not yet do it."""
    import importlib

    wanted = {}
    for domain in ("text", "code", "latex", "dna", "smiles", "midi"):
        module = importlib.import_module(f"polyseq_{domain}.datasets")
        wanted.update({e.name: e for e in module.DATASETS})
    known = plugins.registry().datasets
    missing = [e for n, e in wanted.items() if n not in known]
    if missing:
        register_entries(*missing, name="test-domain-datasets")
    return wanted
