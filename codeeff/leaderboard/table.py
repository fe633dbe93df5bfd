"""The leaderboard table: merge rows into a CSV idempotently, compute deltas against a baseline, write CSV/Markdown.

Rows are dicts keyed by column (see :mod:`.schema`); a row's identity is (model, spec hash, task), so feeding the same
or a newer run again replaces its row instead of adding one. Deltas are recomputed for every row on every write,
because adding a row can change nothing else but choosing another baseline changes them all. Files are written to a
temporary name and renamed, so an interrupted write never leaves half a leaderboard.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeeff.contracts.records import BASELINE_COLUMN, DELTA_PREFIX, LEADERBOARD_SCHEMA, SCHEMA_COLUMN
from codeeff.leaderboard.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED
from codeeff.leaderboard.files import atomic_write_text
from codeeff.leaderboard.labels import model_name, short_variant
from codeeff.leaderboard.samples import paired_delta
from codeeff.leaderboard.schema import (
    as_number,
    columns_for,
    cost_metric_columns_of,
    is_cost_column,
    metric_columns_of,
    row_key,
)

_PATH_COLUMNS = ("results_file", "samples_file")
Row = dict[str, Any]


class TableError(ValueError):
    """A leaderboard that cannot be built as asked (e.g. an ambiguous baseline); the message says how to fix it."""


@dataclass(frozen=True)
class BootstrapSettings:
    confidence: float = DEFAULT_CONFIDENCE
    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED


def row_label(row: Row) -> str:
    """``model@spec_hash`` (or just the model for runs without a codeeff variant): how rows are named to users."""
    return f"{row.get('model')}@{row['spec_hash']}" if row.get("spec_hash") else str(row.get("model"))


def run_folders(row: Row) -> tuple[str, ...]:
    """Names of the folders a row's results file sits in: lm-eval writes ``OUTPUT_PATH/<model>/results_*.json``,
    so ``runs/dense/<model>/results_*.json`` is found by ``dense`` (and by its model folder name)."""
    path = row.get("results_file")
    if not path:
        return ()
    parents = Path(str(path)).parents
    return tuple(p.name for p in list(parents)[:2] if p.name)


def _matches(row: Row, selector: str) -> bool:
    spec_hash = str(row.get("spec_hash") or "")
    names = (row_label(row), row.get("variant"), row.get("model"), spec_hash, short_variant(row.get("variant")))
    return (
        selector in names
        or model_name(selector) == row.get("model")  # a local model path names the row of that model folder
        or selector in run_folders(row)
        or (len(selector) >= 4 and spec_hash.startswith(selector))
    )


def select(rows: list[Row], selector: str, task: str) -> list[Row]:
    """Rows of ``task`` matching ``selector``: a spec hash or its prefix, a variant summary or its short label
    (``dense``, ``EE conf≥0.95@26``), a model, model@hash, or the run folder the results file is in.

    When several match, rows whose label is exactly the selector win: a plain run of model M is labelled ``M``, so
    ``--baseline M`` picks it even when variants of M (labelled ``M@hash``) are in the same table.
    """
    found = [r for r in rows if r.get("task") == task and _matches(r, selector)]
    exact = [r for r in found if row_label(r) in (selector, model_name(selector))]
    return exact if len(found) > 1 and exact else found


def merge(existing: list[Row], new: list[Row]) -> list[Row]:
    """Existing rows updated by new ones with the same identity (the newer date wins among new duplicates)."""
    merged: dict[tuple[str, str, str], Row] = {row_key(r): r for r in existing}
    latest: dict[tuple[str, str, str], Row] = {}
    for row in new:
        key = row_key(row)
        if key not in latest or str(row.get("date") or "") >= str(latest[key].get("date") or ""):
            latest[key] = row
    merged.update(latest)
    return sorted(merged.values(), key=lambda r: (str(r.get("task")), *row_key(r)))


def _strip_deltas(row: Row) -> Row:
    return {k: v for k, v in row.items() if not k.startswith(DELTA_PREFIX) and k != BASELINE_COLUMN}


def _baseline_for(rows: list[Row], task: str, selector: str) -> Row | None:
    found = select(rows, selector, task)
    if len(found) > 1:
        names = ", ".join(sorted(row_label(r) for r in found))
        raise TableError(f"baseline {selector!r} matches {len(found)} rows of task {task}: {names}; use model@hash")
    return found[0] if found else None


def _fill_deltas(row: Row, base: Row, metrics: list[str], settings: BootstrapSettings) -> None:
    for metric in metrics:
        cand_value, base_value = as_number(row.get(metric)), as_number(base.get(metric))
        if cand_value is None or base_value is None:
            continue
        delta = DELTA_PREFIX + metric
        row[delta] = cand_value - base_value
        if is_cost_column(metric):
            row[f"{delta}_pct"] = 100.0 * (cand_value - base_value) / abs(base_value) if base_value else None
        elif row is not base:
            paired = paired_delta(
                base, row, metric, confidence=settings.confidence, resamples=settings.resamples, seed=settings.seed
            )
            if paired.interval is not None:
                row[f"{delta}_ci_low"] = paired.interval.low
                row[f"{delta}_ci_high"] = paired.interval.high
                row[f"{delta}_paired_n"] = paired.interval.n


def apply_deltas(
    rows: list[Row], selector: str | None, settings: BootstrapSettings, previous: dict[str, str] | None = None
) -> list[str]:
    """Recompute every row's deltas against the baseline ``selector`` (per task); return warnings for the user.

    Without a selector, each task keeps the baseline ``previous`` names for it (the CSV's rows before the update,
    see :func:`baselines_of`), so updating a leaderboard does not silently drop its deltas. Returns rows' tasks that have no baseline as warnings, not errors: a leaderboard of
    several tasks may have a baseline for only some.
    """
    warnings: list[str] = []
    previous = previous if previous is not None else baselines_of(rows)
    if selector and not any(_matches(r, selector) for r in rows):
        raise TableError(
            f"--baseline {selector!r} matches no row; use a run folder name, a variant label (e.g. dense), "
            f"a spec hash or a model name. Rows: {', '.join(sorted({_describe(r) for r in rows}))}"
        )
    rows[:] = [_strip_deltas(r) | {BASELINE_COLUMN: None} for r in rows]
    keys = {k for r in rows for k in r}
    metrics = [*metric_columns_of(keys), *cost_metric_columns_of(keys)]
    for task in sorted({str(r.get("task")) for r in rows}):
        task_selector = selector or previous.get(task)
        if not task_selector:
            continue
        base = _baseline_for(rows, task, task_selector)
        if base is None:
            warnings.append(f"task {task}: no row matches baseline {task_selector!r}; its deltas are empty")
            continue
        for row in (r for r in rows if r.get("task") == task):
            row[BASELINE_COLUMN] = row_label(base)
            _fill_deltas(row, base, metrics, settings)
    return warnings


def _describe(row: Row) -> str:
    folders = run_folders(row)
    return f"{short_variant(row.get('variant'))} [{row_label(row)}" + (f", folder {folders[-1]}]" if folders else "]")


def baselines_of(rows: list[Row]) -> dict[str, str]:
    """Task -> the baseline label its rows carry (how an existing leaderboard remembers its baseline)."""
    return {str(r.get("task")): str(r[BASELINE_COLUMN]) for r in rows if r.get(BASELINE_COLUMN)}


def _format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _relative(path: str | None, base_dir: Path) -> str | None:
    if not path:
        return None
    try:
        return os.path.relpath(Path(path).resolve(), base_dir.resolve())
    except ValueError:  # another drive (Windows)
        return str(path)


def write_csv(rows: list[Row], path: Path) -> list[str]:
    """Write rows with the full ordered schema; file paths are stored relative to the CSV's folder."""
    columns = columns_for({k for r in rows for k in r})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = {c: _format_cell(row.get(c)) for c in columns}
        for column in _PATH_COLUMNS:
            cells[column] = _format_cell(_relative(row.get(column), path.parent))
        writer.writerow(cells)
    atomic_write_text(path, buffer.getvalue())
    return columns


def read_csv(path: Path) -> list[Row]:
    """Rows of a leaderboard CSV (empty cells -> None; file paths resolved against the CSV's folder)."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"model", "task"} <= set(reader.fieldnames):
                raise TableError(f"{path}: not a codeeff leaderboard CSV (no model/task columns)")
            rows = [{k: (v if v != "" else None) for k, v in r.items() if k is not None} for r in reader]
    except OSError as exc:
        raise TableError(f"{path}: cannot read: {exc}") from exc
    for row in rows:
        _check_schema(row, path)
        for column in _PATH_COLUMNS:
            if row.get(column) and not Path(row[column]).is_absolute():
                row[column] = str((path.parent / row[column]).resolve())
    return rows


def _check_schema(row: Row, path: Path) -> None:
    """A row of another schema version cannot be merged; CSVs written before the ``schema`` column existed hold
    the columns of ``codeeff.leaderboard/1`` and are read as that version."""
    version = row.get(SCHEMA_COLUMN) or LEADERBOARD_SCHEMA
    if version != LEADERBOARD_SCHEMA:
        raise TableError(f"{path}: rows of schema {version!r}; this codeeff reads and writes {LEADERBOARD_SCHEMA}")
    row[SCHEMA_COLUMN] = version


def present_metrics(rows: list[Row]) -> list[str]:
    """Quality metric columns with a value in at least one row (schema order)."""
    return [m for m in metric_columns_of({k for r in rows for k in r}) if any(r.get(m) is not None for r in rows)]
