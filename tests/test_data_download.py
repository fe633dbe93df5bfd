"""The download path end to end: a real HTTP server on 127.0.0.1 serves the pinned files of shared/data.

The server speaks plain HTTP/1.1 with Range support and can be told to cut a file's body short (an interrupted
download) or to serve corrupted bytes, so resuming, restarting and refusing are exercised over a real socket.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from codeeff_support import run_codeeff

from codeeff import data as D


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, bytes]):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files = files
        self.cut_after: dict[str, int] = {}  # path -> bytes sent before the connection drops (once per entry)
        self.corrupt: set[str] = set()  # paths served with one flipped byte
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FileServer

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        from urllib.parse import unquote

        path = unquote(self.path.lstrip("/"))
        self.server.requests.append((path, self.headers.get("Range")))
        body = self.server.files.get(path)
        if body is None:
            self.send_error(404)
            return
        if path in self.server.corrupt:
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        start = 0
        if (spec := self.headers.get("Range")) and spec.startswith("bytes=") and spec.endswith("-"):
            start = int(spec[len("bytes=") : -1])
            if start >= len(body):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        cut = self.server.cut_after.pop(path, None)
        self.wfile.write(payload[:cut] if cut is not None else payload)
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True


def _serve(files: dict[str, bytes]) -> Iterator[FileServer]:
    server = FileServer(files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mirror(data_dir) -> Iterator[FileServer]:
    """shared/data's G-TransEval files, served as a mirror (CODEEFF_DATA_URL layout: <base>/<manifest path>)."""
    files = {e.path: (data_dir / e.path).read_bytes() for e in D.manifest_files("gtranseval")}
    yield from _serve(files)


@pytest.fixture
def fresh_user(monkeypatch, tmp_path) -> Path:
    """A user with no CODEEFF_DATA_DIR and an empty cache."""
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    monkeypatch.delenv(D.MIRROR_ENV_VAR, raising=False)
    monkeypatch.setenv("CODEEFF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(D, "RETRY_SECONDS", 0.0)
    return D.default_cache_data_dir()


def _final_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and D.PARTIAL_DIR not in p.parts}


def test_first_run_downloads_every_pinned_file_and_verifies_it(fresh_user, mirror, monkeypatch):
    monkeypatch.setenv(D.MIRROR_ENV_VAR, mirror.base_url + "/")
    assert D.resolve_data_dir("gtranseval") == fresh_user
    assert D.verify_dataset("gtranseval", fresh_user) == []
    assert _final_files(fresh_user) == {e.path for e in D.manifest_files("gtranseval")}
    assert list((fresh_user / D.PARTIAL_DIR).iterdir()) == [fresh_user / D.PARTIAL_DIR / ".lock"]
    served = len(mirror.requests)
    assert D.resolve_data_dir("gtranseval") == fresh_user  # second run: from the cache, no request
    assert len(mirror.requests) == served


def test_interrupted_download_resumes_with_a_range_request(fresh_user, mirror, monkeypatch):
    monkeypatch.setenv(D.MIRROR_ENV_VAR, mirror.base_url)
    entry = next(e for e in D.manifest_files("gtranseval") if e.path.endswith("Type_all/Python.test"))
    mirror.cut_after[entry.path] = 5000
    D.fetch_dataset("gtranseval", fresh_user, files=[entry], progress=False)
    assert D.sha256_file(fresh_user / entry.path) == entry.sha256
    assert [r for p, r in mirror.requests if p == entry.path] == [None, "bytes=5000-"]


def test_partial_file_left_by_a_killed_run_is_resumed_by_the_next_run(fresh_user, mirror, monkeypatch):
    monkeypatch.setenv(D.MIRROR_ENV_VAR, mirror.base_url)
    entry = D.manifest_files("gtranseval")[0]
    monkeypatch.setattr(D, "DOWNLOAD_ATTEMPTS", 1)
    mirror.cut_after[entry.path] = 1000
    with pytest.raises(OSError, match="connection closed after 1000 of"):
        D.fetch_dataset("gtranseval", fresh_user, files=[entry], progress=False)
    assert not (fresh_user / entry.path).exists()  # nothing half-written at the final path
    D.fetch_dataset("gtranseval", fresh_user, files=[entry], progress=False)
    assert D.sha256_file(fresh_user / entry.path) == entry.sha256
    assert [r for _, r in mirror.requests] == [None, "bytes=1000-"]


def test_resumed_download_that_does_not_verify_is_restarted_from_zero(fresh_user, mirror, monkeypatch):
    monkeypatch.setenv(D.MIRROR_ENV_VAR, mirror.base_url)
    entry = D.manifest_files("gtranseval")[0]
    partial = D._partial_path(fresh_user, D.source_url(entry, D.mirror_base_url()))
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"bytes of some other version of the file")
    D.fetch_dataset("gtranseval", fresh_user, files=[entry], progress=False)
    assert D.sha256_file(fresh_user / entry.path) == entry.sha256
    assert [r for _, r in mirror.requests] == [f"bytes={len(b'bytes of some other version of the file')}-", None]


def test_corrupted_file_is_refused_and_nothing_is_written(fresh_user, mirror, monkeypatch):
    monkeypatch.setenv(D.MIRROR_ENV_VAR, mirror.base_url)
    entries = D.manifest_files("gtranseval")[:3]
    mirror.corrupt.add(entries[1].path)
    with pytest.raises(D.DataIntegrityError, match=f"sha256 mismatch for {re.escape(entries[1].path)}.*file refused"):
        D.fetch_dataset("gtranseval", fresh_user, files=entries, progress=False)
    assert _final_files(fresh_user) == {entries[0].path}
    assert [p.name for p in (fresh_user / D.PARTIAL_DIR).iterdir()] == [".lock"]
    with pytest.raises(D.DataNotFoundError, match="The download was tried and failed: sha256 mismatch"):
        D.resolve_data_dir("gtranseval")
    assert not (fresh_user / D.DATASET_MARKERS["gtranseval"][0]).exists()


def test_no_server_gives_the_three_options_with_the_reason(fresh_user, monkeypatch):
    server = FileServer({})
    closed_port_url = server.base_url
    server.server_close()  # nothing listens on this loopback port any more
    monkeypatch.setenv(D.MIRROR_ENV_VAR, closed_port_url)
    monkeypatch.setattr(D, "DOWNLOAD_ATTEMPTS", 2)
    with pytest.raises(D.DataNotFoundError) as info:
        D.resolve_data_dir("gtranseval")
    message = str(info.value)
    assert D.ENV_VAR in message and "--metadata" in message
    assert "download of http://127.0.0.1" in message and "failed after 2 attempts" in message
    assert _final_files(fresh_user) == set()


def test_canonical_zip_archive_is_resumed_verified_and_extracted(fresh_user, monkeypatch):
    member = b'{"input": "<s> x", "gt": "y"}\n'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("dataset/py150/dev.json", member)
        zf.writestr("dataset/padding.bin", os.urandom(20000))
    archive = buffer.getvalue()
    for server in _serve({"dataset.zip": archive}):
        server.cut_after["dataset.zip"] = 7000
        entry = D.ManifestFile(
            path="codexglue/unixcoder_line_dev/py150/dev.json",
            sha256=hashlib.sha256(member).hexdigest(),
            archive_url=f"{server.base_url}/dataset.zip",
            archive_sha256=hashlib.sha256(archive).hexdigest(),
            member="dataset/py150/dev.json",
        )
        D.fetch_dataset("codexglue_line", fresh_user, files=[entry], progress=False)
        assert (fresh_user / entry.path).read_bytes() == member
        assert [r for _, r in server.requests] == [None, "bytes=7000-"]
        assert [p.name for p in (fresh_user / D.PARTIAL_DIR).iterdir()] == [".lock"]  # the archive is not kept


def test_codeeff_data_fetch_and_verify_from_a_mirror(tmp_path, mirror):
    env = {"CODEEFF_CACHE_DIR": str(tmp_path / "cache"), D.MIRROR_ENV_VAR: mirror.base_url, D.ENV_VAR: ""}
    fetched = run_codeeff("data", "fetch", "gtranseval", env=env, timeout=300)
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    verified = run_codeeff("data", "verify", "gtranseval", env=env, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr[-2000:]
    assert f"gtranseval: {tmp_path / 'cache' / 'data'}: ok" in verified.stdout
