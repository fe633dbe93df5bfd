"""Finding and reading lm-eval output: ``<output_path>/<model>/results_<ts>.json`` + ``samples_<task>_<ts>.jsonl``.

lm-eval 0.4.13's tracker writes one results file per run and, with ``--log_samples``, one samples file per task with
the *same* timestamp suffix; that shared suffix is how a task's samples are matched to its results. A user may pass
a results file, a model folder or a whole ``--output_path`` tree; all are searched recursively.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_RESULTS_RE = re.compile(r"^results_(?P<ts>.+)\.json$")


class ResultsError(ValueError):
    """A results path that cannot be used (missing, unreadable, not lm-eval output); the message names it."""


@dataclass
class ResultsFile:
    """One lm-eval results JSON, parsed, with the timestamp that links it to its samples files."""

    path: Path
    data: dict[str, Any]
    timestamp: str

    def tasks(self) -> list[str]:
        return sorted((self.data.get("results") or {}).keys())

    def samples_path(self, task: str) -> Path | None:
        """The task's samples file written by the same run, if it was logged (``--log_samples``)."""
        candidate = self.path.with_name(f"samples_{task}_{self.timestamp}.jsonl")
        return candidate if candidate.is_file() else None


@dataclass
class TaskRun:
    """One task of one results file: the unit a leaderboard row describes."""

    file: ResultsFile
    task: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def data(self) -> dict[str, Any]:
        return self.file.data

    @property
    def samples_path(self) -> Path | None:
        return self.file.samples_path(self.task)


def find_results_files(paths: list[str | Path]) -> list[Path]:
    """Every ``results_*.json`` named or found (recursively) under ``paths``, in a stable order.

    Raises :class:`ResultsError` for a path that does not exist or holds no results file, so a typo is not silently
    an empty leaderboard.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            if not _RESULTS_RE.match(path.name):
                raise ResultsError(f"{path}: not an lm-eval results file (expected results_<timestamp>.json)")
            found.append(path)
        elif path.is_dir():
            inside = sorted(p for p in path.rglob("results_*.json") if _RESULTS_RE.match(p.name))
            if not inside:
                raise ResultsError(f"{path}: no results_*.json found (was lm-eval run with --output_path here?)")
            found.extend(inside)
        else:
            raise ResultsError(f"{path}: no such file or directory")
    unique: dict[Path, None] = {}
    for p in found:
        unique.setdefault(p.resolve(), None)
    return list(unique)


def read_results_file(path: Path) -> ResultsFile:
    """Parse one results file; a broken or foreign JSON gives a :class:`ResultsError` naming the file."""
    match = _RESULTS_RE.match(path.name)
    if not match:
        raise ResultsError(f"{path}: not an lm-eval results file name")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise ResultsError(f"{path}: no 'results' block; not lm-eval output")
    return ResultsFile(path=path, data=data, timestamp=match.group("ts"))


def load_task_runs(paths: list[str | Path]) -> list[TaskRun]:
    """All (results file, task) pairs under ``paths``."""
    runs: list[TaskRun] = []
    for path in find_results_files(paths):
        results_file = read_results_file(path)
        runs.extend(TaskRun(results_file, task) for task in results_file.tasks())
    return runs
