"""Fixtures for the metrics tests: CodeXGLUE literals and dev rows from the real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeeff.metrics import codexglue_tokens as ct

DEV_FOLDERS = {"python": "py150", "java": "javaCorpus"}


def read_dev_rows(data_dir: Path, language: str) -> list[dict]:
    path = data_dir / "codexglue" / "unixcoder_line_dev" / DEV_FOLDERS[language] / "dev.json"
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="session")
def dev_rows(data_dir):
    return {lang: read_dev_rows(data_dir, lang) for lang in DEV_FOLDERS}


@pytest.fixture(scope="session")
def literals(data_dir):
    return {lang: ct.load_literals(lang, data_dir) for lang in DEV_FOLDERS}
