"""Shared fixtures: the real data folder, tiny random-init HF models, and running the console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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


def run_codeeff(*args: str, env: dict | None = None, timeout: float = 600, cwd: Path | None = None):
    """Run the installed ``codeeff`` console script in a subprocess, offline, and return the CompletedProcess."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "DISABLE_MULTIPROC": "1"}
    full_env.update(env or {})
    exe = Path(sys.executable).with_name("codeeff")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd or REPO
    )
