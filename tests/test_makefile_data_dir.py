"""`make demo` / `make test` find the data: CODEEFF_DATA_DIR when set, else ../shared/data beside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from codeeff_support import REPO

PRINT = 'print-data-dir: ; @echo "[$(CODEEFF_DATA_DIR)]"'


def _make_data_dir(checkout: Path, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "CODEEFF_DATA_DIR"}
    proc = subprocess.run(
        ["make", "-s", "--no-print-directory", f"--eval={PRINT}", "print-data-dir"],
        cwd=checkout,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@pytest.fixture
def checkout(tmp_path) -> Path:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("Makefile", "requirements.lock"):
        shutil.copy2(REPO / name, root / name)
    return root


def test_shared_data_beside_the_checkout_is_used_when_nothing_is_set(checkout):
    assert _make_data_dir(checkout) == "[]"  # no ../shared/data: the user cache decides (codeeff/data.py)
    shared = checkout.parent / "shared" / "data"
    shared.mkdir(parents=True)
    assert _make_data_dir(checkout) == f"[{shared}]"


def test_an_explicit_data_dir_wins(checkout):
    (checkout.parent / "shared" / "data").mkdir(parents=True)
    assert _make_data_dir(checkout, CODEEFF_DATA_DIR="/elsewhere/data") == "[/elsewhere/data]"
