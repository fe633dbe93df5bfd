"""One host-side module per target language: it renders that language's driver (``drivers/``) for a candidate.

Every module exposes ``render(problem, code, chosen entry or None, mode) -> (files, main file)``; the files never
hold an expected value (see :mod:`codeeff.tasks.gtranseval.verdict`).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

Renderer = Callable[[Any, str, Any, str], tuple[dict[str, str], str]]


def renderer(language: str) -> Renderer:
    return import_module(f"codeeff.tasks.gtranseval.languages.{language}").render
