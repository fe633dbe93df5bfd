"""Fixtures for the metrics tests: CodeXGLUE dev rows from the real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DEV_FOLDERS = {"python": "py150", "java": "javaCorpus"}


def read_dev_rows(data_dir: Path, language: str) -> list[dict]:
    path = data_dir / "codexglue" / "unixcoder_line_dev" / DEV_FOLDERS[language] / "dev.json"
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="session")
def dev_rows(data_dir):
    return {lang: read_dev_rows(data_dir, lang) for lang in DEV_FOLDERS}
