"""Fixtures for the format tests: CodeXGLUE literals and dev rows from the real data folder."""

from __future__ import annotations

import pytest

from codeeff.formats import codexglue as ct


@pytest.fixture(scope="session")
def literals(data_dir):
    return {lang: ct.load_literals(lang, data_dir) for lang in ("python", "java")}


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
