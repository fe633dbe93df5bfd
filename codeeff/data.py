"""One place that decides where benchmark data lives.

Every task loader, CLI tool and benchmark asks :func:`resolve_data_dir` for the data root, so the precedence is the
same everywhere:

1. an explicit directory (``--metadata '{"data_dir": ...}'``, which lm-eval hands to ``custom_dataset`` loaders,
   or a ``--data-dir`` flag of our own tools);
2. the ``CODEEFF_DATA_DIR`` environment variable;
3. the user cache (``~/.cache/codeeff/data``, or ``$CODEEFF_CACHE_DIR/data``), filled on demand by downloading each
   file from its canonical public repository at a pinned commit and checking its sha256 (``data_manifest.json``);
   ``CODEEFF_DATA_URL`` replaces the canonical sources by a mirror laid out like ``shared/data``.

The layout is the one of ``shared/data`` (``gtranseval/...``, ``codexglue/...``), so that folder works as is.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ENV_VAR = "CODEEFF_DATA_DIR"
MIRROR_ENV_VAR = "CODEEFF_DATA_URL"
PARTIAL_DIR = ".partial"
DOWNLOAD_ATTEMPTS = 4
RETRY_SECONDS = 0.5
_CHUNK = 1 << 16
MANIFEST_PATH = Path(__file__).with_name("data_manifest.json")

# What each dataset needs on disk to count as present (checked without reading whole files).
DATASET_MARKERS: dict[str, tuple[str, ...]] = {
    "gtranseval": ("gtranseval/G-TransEval/Type_all/Python.test", "gtranseval/TestRunner/config/l1.json"),
    "gtranseval_results": ("gtranseval/G-TransEval/Results/unit_test_results",),
    "codexglue_line": (
        "codexglue/unixcoder_line_dev/py150/dev.json",
        "codexglue/unixcoder_line_dev/javaCorpus/dev.json",
    ),
}


class DataNotFoundError(RuntimeError):
    """Raised when no data directory can provide a dataset; the message names every way to provide it."""


class DataIntegrityError(RuntimeError):
    """Raised when a downloaded file does not have the sha256 pinned in the manifest."""


def user_cache_dir() -> Path:
    """Root of codeeff's per-user cache (models, data, execution results)."""
    base = os.environ.get("CODEEFF_CACHE_DIR")
    return Path(base).expanduser() if base else Path.home() / ".cache" / "codeeff"


def default_cache_data_dir() -> Path:
    return user_cache_dir() / "data"


@lru_cache(maxsize=1)
def load_manifest() -> dict:
    return json.loads(MANIFEST_PATH.read_text())


def _missing_markers(root: Path, dataset: str) -> list[str]:
    return [marker for marker in DATASET_MARKERS[dataset] if not (root / marker).exists()]


def _no_data_message(dataset: str, tried: list[str], download_error: str | None) -> str:
    lines = [
        f"codeeff: no data for dataset '{dataset}'.",
        *[f"  - {t}" for t in tried],
        "Provide it in one of three ways:",
        '  1. pass it explicitly: --metadata \'{"data_dir": "/path/to/data"}\' (lm-eval runs) or --data-dir (codeeff tools);',
        f"  2. set {ENV_VAR}=/path/to/data (a folder laid out like shared/data: gtranseval/..., codexglue/...);",
        f"  3. let codeeff download it into {default_cache_data_dir()} (needs network access; "
        f"`codeeff data fetch {dataset}` does it ahead of time).",
    ]
    if download_error:
        lines.append(f"The download was tried and failed: {download_error}")
    return "\n".join(lines)


def resolve_data_dir(
    dataset: str,
    explicit: str | os.PathLike | None = None,
    *,
    download: bool = True,
) -> Path:
    """Return the data root that holds ``dataset``, following the documented precedence.

    An explicit directory or ``CODEEFF_DATA_DIR`` that lacks the dataset is an error (it is never silently skipped in
    favour of a lower level), because the user asked for that folder.
    """
    if dataset not in DATASET_MARKERS:
        raise ValueError(f"unknown dataset '{dataset}'; known: {', '.join(sorted(DATASET_MARKERS))}")
    for label, value in (("data_dir", explicit), (ENV_VAR, os.environ.get(ENV_VAR))):
        if value in (None, ""):
            continue
        root = Path(value).expanduser().resolve()
        if not root.is_dir():
            raise DataNotFoundError(_no_data_message(dataset, [f"{label}={root}: not a directory"], None))
        missing = _missing_markers(root, dataset)
        if missing:
            tried = [f"{label}={root}: missing {', '.join(missing)}"]
            raise DataNotFoundError(_no_data_message(dataset, tried, None))
        return root

    cache = default_cache_data_dir()
    if not _missing_markers(cache, dataset):
        return cache
    tried = ["data_dir: not given", f"{ENV_VAR}: not set", f"user cache {cache}: not filled"]
    if not download:
        raise DataNotFoundError(_no_data_message(dataset, tried, None))
    try:
        fetch_dataset(dataset, cache)
    except (OSError, DataIntegrityError) as exc:
        raise DataNotFoundError(_no_data_message(dataset, tried, str(exc))) from exc
    return cache


@dataclass(frozen=True)
class ManifestFile:
    path: str
    sha256: str
    url: str | None = None
    archive_url: str | None = None
    archive_sha256: str | None = None
    member: str | None = None
    bytes: int | None = None


def manifest_files(dataset: str) -> list[ManifestFile]:
    return [ManifestFile(**entry) for entry in load_manifest()["datasets"][dataset]["files"]]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, read in chunks (the one file digest of codeeff)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def mirror_base_url() -> str | None:
    """``CODEEFF_DATA_URL``: a mirror laid out like shared/data; every file is then fetched from ``<base>/<path>``."""
    base = os.environ.get(MIRROR_ENV_VAR, "").strip()
    return base.rstrip("/") if base else None


def source_url(entry: ManifestFile, mirror: str | None) -> str | None:
    """Where ``entry`` is downloaded from: the mirror's copy of the file itself, else its pinned canonical URL."""
    if mirror:
        return f"{mirror}/{urllib.parse.quote(entry.path)}"
    return entry.url


def _partial_path(root: Path, url: str) -> Path:
    """The resumable download of ``url`` (never a final data path: final paths appear only after verification)."""
    return root / PARTIAL_DIR / hashlib.sha256(url.encode()).hexdigest()[:32]


def _download_once(url: str, part: Path, timeout: float) -> None:
    """Append what ``url`` still owes ``part`` (an HTTP Range request when ``part`` is non-empty); restart from zero when
    the server ignores the range. Raises OSError when the body ends before its announced length."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (pinned or user-set URLs)
        status = getattr(response, "status", None)
        if offset and status != 206:
            offset = 0  # the server sent the whole file
        announced = response.headers.get("Content-Length") if status is not None else None
        with part.open("ab" if offset else "wb") as fh:
            copied = 0
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                fh.write(chunk)
                copied += len(chunk)
    if announced is not None and copied != int(announced):
        raise OSError(f"{url}: connection closed after {copied} of {announced} bytes")


def _download_verified(url: str, expected_sha256: str, root: Path, what: str, timeout: float = 60.0) -> Path:
    """Download ``url`` to its partial file (resuming an earlier interrupted download) and check its sha256.

    Transport failures are retried up to ``DOWNLOAD_ATTEMPTS`` times, each resuming where the data stopped. A finished
    file with the wrong sha256 is deleted; when it was assembled by resuming, it is downloaded once more from zero,
    otherwise (or when the fresh copy is wrong too) it is refused with :class:`DataIntegrityError`.
    Returns the verified partial file.
    """
    part = _partial_path(root, url)
    part.parent.mkdir(parents=True, exist_ok=True)
    resumed = part.exists() and part.stat().st_size > 0
    failures: list[str] = []
    while len(failures) < DOWNLOAD_ATTEMPTS:
        try:
            _download_once(url, part, timeout)
        except (OSError, http.client.HTTPException) as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
            if isinstance(exc, urllib.error.HTTPError):
                if exc.code == 416:  # the partial file is already complete or longer than the file: start over
                    part.unlink(missing_ok=True)
                elif exc.code not in (408, 429, 500, 502, 503, 504):
                    break
            resumed = resumed or (part.exists() and part.stat().st_size > 0)
            time.sleep(RETRY_SECONDS * len(failures))
            continue
        actual = sha256_file(part)
        if actual == expected_sha256:
            return part
        part.unlink()
        if not resumed:
            raise DataIntegrityError(
                f"sha256 mismatch for {what}: expected {expected_sha256}, got {actual}; file refused"
            )
        resumed = False  # a resumed download may mix two versions of the file: fetch it whole once more
    raise OSError(f"download of {url} failed after {len(failures)} attempts: {failures[-1]}")


def _install(source: Path | bytes, target: Path) -> None:
    """Put verified content at ``target`` atomically (a rename within the same file system)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        os.replace(source, target)
        return
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(source)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch_dataset(
    dataset: str,
    root: Path,
    files: Iterable[ManifestFile] | None = None,
    progress: bool = True,
) -> Path:
    """Download every file of ``dataset`` into ``root``, verifying sha256 before anything reaches its final path.

    Files already present with the right hash are kept. Interrupted downloads resume from ``root/.partial`` (HTTP
    Range) on the next attempt; nothing half-written or unverified is ever left at a final path. With
    ``CODEEFF_DATA_URL`` set, every file comes from that mirror instead of its canonical source (same sha256 pins).
    """
    entries = list(files) if files is not None else manifest_files(dataset)
    (root / PARTIAL_DIR).mkdir(parents=True, exist_ok=True)
    with (root / PARTIAL_DIR / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent fetches into one root take turns (partial files are shared)
        _fetch_entries(dataset, root, entries, progress)
    return root


def _fetch_entries(dataset: str, root: Path, entries: list[ManifestFile], progress: bool) -> None:
    from tqdm.auto import tqdm

    mirror = mirror_base_url()
    archives: dict[str, Path] = {}
    for entry in tqdm(entries, desc=f"fetch {dataset}", unit="file", disable=not progress):
        target = root / entry.path
        if target.exists() and sha256_file(target) == entry.sha256:
            continue
        url = source_url(entry, mirror)
        if url:
            _install(_download_verified(url, entry.sha256, root, entry.path), target)
        elif entry.archive_url:
            if entry.archive_url not in archives:
                archives[entry.archive_url] = _download_verified(
                    entry.archive_url, entry.archive_sha256 or "", root, entry.archive_url
                )
            with zipfile.ZipFile(archives[entry.archive_url]) as zf:
                data = zf.read(entry.member or "")
            if sha256_bytes(data) != entry.sha256:
                raise DataIntegrityError(
                    f"sha256 mismatch for {entry.path}: expected {entry.sha256}, got {sha256_bytes(data)}; file refused"
                )
            _install(data, target)
        else:
            raise DataIntegrityError(f"manifest entry {entry.path} has no source URL")
    for archive in archives.values():
        archive.unlink(missing_ok=True)


def verify_dataset(dataset: str, root: Path) -> list[str]:
    """Return the manifest paths under ``root`` that are missing or do not match their pinned sha256."""
    bad = []
    for entry in manifest_files(dataset):
        target = root / entry.path
        if not target.exists() or sha256_file(target) != entry.sha256:
            bad.append(entry.path)
    return bad
