"""One place that decides where benchmark data lives.

Every task loader, CLI tool and benchmark asks :func:`resolve_data_dir` for the data root, so the precedence is the
same everywhere:

1. an explicit directory (``--metadata '{"data_dir": ...}'``, which lm-eval hands to ``custom_dataset`` loaders,
   or a ``--data-dir`` flag of our own tools);
2. the ``CODEEFF_DATA_DIR`` environment variable;
3. the user cache (``~/.cache/codeeff/data``, or ``$CODEEFF_CACHE_DIR/data``), filled on demand by downloading each
   file from its canonical public repository at a pinned commit and checking its sha256 (``data_manifest.json``).

The layout is the one of ``shared/data`` (``gtranseval/...``, ``codexglue/...``), so that folder works as is.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ENV_VAR = "CODEEFF_DATA_DIR"
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


def manifest_files(dataset: str) -> list[ManifestFile]:
    entries = load_manifest()["datasets"][dataset]["files"]
    return [ManifestFile(**{k: v for k, v in e.items() if k != "bytes"}) for e in entries]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download(url: str, timeout: float = 60.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (pinned https/file URLs only)
        return response.read()


def _verified(data: bytes, expected: str, what: str) -> bytes:
    actual = sha256_bytes(data)
    if actual != expected:
        raise DataIntegrityError(f"sha256 mismatch for {what}: expected {expected}, got {actual}; file refused")
    return data


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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
    """Download every file of ``dataset`` into ``root``, verifying sha256 before anything is written.

    Files already present with the right hash are kept; nothing half-written is ever left at a final path.
    """
    from tqdm.auto import tqdm

    entries = list(files) if files is not None else manifest_files(dataset)
    archives: dict[str, bytes] = {}
    for entry in tqdm(entries, desc=f"fetch {dataset}", unit="file", disable=not progress):
        target = root / entry.path
        if target.exists() and sha256_bytes(target.read_bytes()) == entry.sha256:
            continue
        if entry.archive_url:
            if entry.archive_url not in archives:
                archives[entry.archive_url] = _verified(
                    _download(entry.archive_url), entry.archive_sha256 or "", entry.archive_url
                )
            with zipfile.ZipFile(io.BytesIO(archives[entry.archive_url])) as zf:
                data = zf.read(entry.member or "")
        elif entry.url:
            data = _download(entry.url)
        else:
            raise DataIntegrityError(f"manifest entry {entry.path} has no source URL")
        _write_atomically(target, _verified(data, entry.sha256, entry.path))
    return root


def verify_dataset(dataset: str, root: Path) -> list[str]:
    """Return the manifest paths under ``root`` that are missing or do not match their pinned sha256."""
    bad = []
    for entry in manifest_files(dataset):
        target = root / entry.path
        if not target.exists() or sha256_bytes(target.read_bytes()) != entry.sha256:
            bad.append(entry.path)
    return bad
