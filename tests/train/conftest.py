"""Fixtures for the producers: a 6-layer tiny random Llama (the CLI helpers are in ``train_cli.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny6(tmp_path_factory) -> Path:
    from codeeff.model_adapters.tiny import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny6"), "llama", layers=6)
