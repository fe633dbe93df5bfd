"""Shared fixtures: the real data folder, tiny random-init HF models, and running the console script."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from codeeff_support import REPO, run_codeeff  # noqa: F401  (re-exported for older imports)


def _data_dir() -> Path | None:
    env = os.environ.get("CODEEFF_DATA_DIR")
    candidate = Path(env) if env else REPO.parent / "shared" / "data"
    return candidate.resolve() if candidate.is_dir() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real benchmark data (``CODEEFF_DATA_DIR``, else ``../shared/data``); tests need it, so its absence fails."""
    found = _data_dir()
    if found is None:
        pytest.fail("no data: set CODEEFF_DATA_DIR or place shared/ beside the checkout (../shared/data)")
    return found


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny random-init Llama with a chat template, saved like a hub checkpoint (built once per session)."""
    from codeeff.model_adapters.tiny import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny-llama"), "llama")


# CodeXGLUE line-completion dev rows (tests/metrics and tests/formats read them).
DEV_FOLDERS = {"python": "py150", "java": "javaCorpus"}


def read_dev_rows(data_dir: Path, language: str) -> list[dict]:
    path = data_dir / "codexglue" / "unixcoder_line_dev" / DEV_FOLDERS[language] / "dev.json"
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="session")
def dev_rows(data_dir):
    return {lang: read_dev_rows(data_dir, lang) for lang in DEV_FOLDERS}
