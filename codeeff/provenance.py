"""What a run used, recorded while it runs and written into its results (``results["codeeff"]``).

Dataset loaders call :func:`record_dataset` (which source and split a task's documents came from); code-executing
tasks call :func:`record_sandbox`. The ``codeeff`` command's results hook reads :func:`snapshot` when lm-eval saves
results, so leaderboards and the regression gate can refuse to compare runs on different data or sandboxes.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_datasets: dict[str, dict[str, Any]] = {}
_sandboxes: dict[str, dict[str, Any]] = {}


def record_dataset(task: str, **info: Any) -> None:
    """Record a task's data source, e.g. ``source="local dev.json", split="dev", path=..., sha256=..., rows=...``."""
    with _lock:
        _datasets[task] = dict(info)


def record_sandbox(task: str, **info: Any) -> None:
    """Record the sandbox backend and isolation level a task's programs ran under."""
    with _lock:
        _sandboxes[task] = dict(info)


def snapshot() -> dict[str, dict[str, dict[str, Any]]]:
    with _lock:
        return {
            "data": {k: dict(v) for k, v in _datasets.items()},
            "sandbox": {k: dict(v) for k, v in _sandboxes.items()},
        }
