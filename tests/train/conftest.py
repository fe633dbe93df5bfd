"""Fixtures for the producers: a 6-layer tiny random Llama and one short training run per producer (module scope)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# small everywhere: 2 CPU cores are shared; each run trains a few steps on real PY150 rows
DATA_ARGS = ["--train-rows", "12", "--val-rows", "4", "--seq-len", "48", "--max-blocks", "8", "--no-progress"]


@pytest.fixture(scope="session")
def tiny6(tmp_path_factory) -> Path:
    from codeeff.model_adapters.tiny import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny6"), "llama", layers=6)


def train(*argv: str) -> dict:
    """Run ``codeeff train ... --json`` in-process; fail with its output if it does not succeed."""
    import contextlib
    import io

    from codeeff.train.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["--json", *argv])
    assert code == 0, buffer.getvalue()
    return json.loads(buffer.getvalue())
