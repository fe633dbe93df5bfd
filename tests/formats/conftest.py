"""Fixtures for the format tests: CodeXGLUE literals and dev rows from the real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeeff.formats import codexglue as ct

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


GTRANSEVAL_FILES = {"python": "Python", "java": "Java", "cpp": "C++", "csharp": "C#", "javascript": "JavaScript"}


@pytest.fixture(scope="session")
def gtranseval_sources(data_dir) -> list[dict[str, str]]:
    """G-TransEval's 400 functions in Type1..Type4 order: ``{language: tokenized line}`` per function."""
    root = data_dir / "gtranseval" / "G-TransEval"
    columns = {}
    for language, stem in GTRANSEVAL_FILES.items():
        lines: list[str] = []
        for type_ in (1, 2, 3, 4):
            with open(root / f"Type{type_}" / f"{stem}.test", encoding="utf-8") as fh:
                lines += [line.rstrip("\n") for line in fh]
        columns[language] = lines
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
