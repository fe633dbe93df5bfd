"""A readable Markdown view of a leaderboard: one table per task, only the columns that task has values for.

The CSV is the complete record (a hundred-plus columns); the Markdown is for PR comments and READMEs, so it shows
identity, each reported quality metric (± stderr), the headline cost figures and the deltas against the baseline
with their paired-bootstrap intervals when the samples allowed one.
"""

from __future__ import annotations

import math
from typing import Any

from codeeff.leaderboard.schema import BASELINE_COLUMN, DELTA_PREFIX, as_number, stderr_column
from codeeff.leaderboard.table import Row, present_metrics, row_label

HEADLINE_COST: tuple[tuple[str, str], ...] = (
    ("params", "params"),
    ("compression_ratio", "compr."),
    ("flops_per_token", "FLOPs/tok"),
    ("layers_per_token", "layers/tok"),
    ("tokens_per_s", "tok/s"),
    ("latency_s_mean", "latency s"),
    ("peak_memory_bytes", "peak mem B"),
    ("energy_j_per_token", "J/tok"),
)
_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def fmt(value: Any, signed: bool = False) -> str:
    """Four significant digits, SI suffixes for big numbers; empty for missing (never 0)."""
    number = as_number(value)
    if number is None:
        return ""
    sign = "+" if signed and number > 0 else ""
    for scale, suffix in _SI:
        if abs(number) >= scale:
            return f"{sign}{number / scale:.4g}{suffix}"
    if number != 0 and abs(number) < 1e-3:
        return f"{sign}{number:.3e}"
    return f"{sign}{number:.4g}" if not math.isclose(number, round(number)) else f"{sign}{int(round(number))}"


def _escape(text: Any) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def _quality_cell(row: Row, metric: str) -> str:
    value, stderr = fmt(row.get(metric)), fmt(row.get(stderr_column(metric)))
    return f"{value} ± {stderr}" if value and stderr else value


def _delta_cell(row: Row, metric: str) -> str:
    delta = DELTA_PREFIX + metric
    text = fmt(row.get(delta), signed=True)
    low, high = row.get(f"{delta}_ci_low"), row.get(f"{delta}_ci_high")
    if text and as_number(low) is not None and as_number(high) is not None:
        text += f" [{fmt(low, signed=True)}, {fmt(high, signed=True)}]"
    return text


def _task_table(task: str, rows: list[Row]) -> list[str]:
    metrics = present_metrics(rows)
    costs = [(c, h) for c, h in HEADLINE_COST if any(as_number(r.get(c)) is not None for r in rows)]
    has_baseline = any(r.get(BASELINE_COLUMN) for r in rows)
    header = ["model", "variant", "hash", *metrics, *(h for _, h in costs)]
    if has_baseline:
        header += [f"Δ {m}" for m in metrics]
    lines = [f"### {task}", ""]
    if has_baseline:
        baseline = next(r[BASELINE_COLUMN] for r in rows if r.get(BASELINE_COLUMN))
        lines += [f"Baseline: `{baseline}` (Δ = row − baseline; [95% paired bootstrap CI] where samples allow).", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        marker = " (baseline)" if row.get(BASELINE_COLUMN) and row[BASELINE_COLUMN] == row_label(row) else ""
        cells = [_escape(row.get("model")), _escape((row.get("variant") or "") + marker), _escape(row.get("spec_hash"))]
        cells += [_quality_cell(row, m) for m in metrics]
        cells += [fmt(row.get(c)) for c, _ in costs]
        if has_baseline:
            cells += [_delta_cell(row, m) for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def render(rows: list[Row], title: str) -> str:
    """The whole Markdown document for ``rows``."""
    lines = [f"# {title}", ""]
    for task in sorted({str(r.get("task")) for r in rows}):
        lines += _task_table(task, [r for r in rows if r.get("task") == task])
    missing_cost = sum(1 for r in rows if as_number(r.get("flops_per_token")) is None)
    if missing_cost:
        lines.append(
            f"{missing_cost} row(s) have no efficiency record (plain `--model hf` runs): their cost cells are empty."
        )
    return "\n".join(lines).rstrip() + "\n"
