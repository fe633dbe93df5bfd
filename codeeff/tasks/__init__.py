"""codeeff's lm-eval tasks: YAML files in this folder's subfolders plus the Python they reference.

``tasks_dir()`` is what Python API users pass to ``TaskManager(include_path=...)``; the ``codeeff`` command prepends it
to ``--include_path`` itself. :func:`preflight` runs the checks that must fail *before* lm-eval loads a model.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
from collections.abc import Callable
from pathlib import Path

# Task-name patterns -> the dataset (see codeeff.data) their loaders need.
TASK_DATASETS: dict[str, str] = {
    "gtranseval_*": "gtranseval",
    "codexglue_line_*": "codexglue_line",
    "py150_ctx*": "codexglue_line",
    "javacorpus_ctx*": "codexglue_line",
}
# Tags and groups that stand for whole families (so preflight sees through them).
TAG_PATTERNS: dict[str, tuple[str, ...]] = {
    "codeeff_suite": tuple(TASK_DATASETS),
    "codeeff_translation": ("gtranseval_*",),
    "codeeff_completion": ("codexglue_line_*", "py150_ctx*", "javacorpus_ctx*"),
    "gtranseval": ("gtranseval_*",),
}
# Family-specific preflight checks, by task-name pattern: "module:function" called as fn(task_names, args).
FAMILY_PREFLIGHT: dict[str, str] = {
    "gtranseval_*": "codeeff.tasks.gtranseval.preflight:check",
}


def tasks_dir() -> Path:
    """The folder holding codeeff's task YAMLs (shipped inside the wheel as package data)."""
    return Path(__file__).resolve().parent


def _requested_patterns(tasks: list[str] | str | None) -> set[str]:
    patterns: set[str] = set()
    for name in _task_names(tasks):
        if name in TAG_PATTERNS:
            patterns.update(TAG_PATTERNS[name])
        patterns.update(p for p in TASK_DATASETS if fnmatch.fnmatch(name, p))
    return patterns


def _task_names(tasks: list[str] | str | None) -> list[str]:
    names = tasks.split(",") if isinstance(tasks, str) else list(tasks or [])
    return [n.strip() for n in names if n and n.strip()]


def only_codeeff_tasks(tasks: list[str] | str | None) -> bool:
    """True when every requested name is a codeeff task, group or tag (so lm-eval's built-ins need no indexing)."""
    names = _task_names(tasks)
    return bool(names) and all(
        name in TAG_PATTERNS or any(fnmatch.fnmatch(name, p) for p in TASK_DATASETS) for name in names
    )


def _load(ref: str) -> Callable:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def preflight(args: argparse.Namespace) -> None:
    """Fail fast, before any model is loaded: missing data, unusable sandbox, missing unsafe-code confirmation."""
    from codeeff.data import resolve_data_dir

    patterns = _requested_patterns(getattr(args, "tasks", None))
    metadata = getattr(args, "metadata", None) or {}
    data_dir = metadata.get("data_dir") if isinstance(metadata, dict) else None
    for dataset in sorted({TASK_DATASETS[p] for p in patterns}):
        resolve_data_dir(dataset, data_dir)
    for pattern, ref in FAMILY_PREFLIGHT.items():
        if pattern in patterns:
            _load(ref)(patterns, args)
