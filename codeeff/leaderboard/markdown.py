"""A readable Markdown view of a leaderboard: the headline table, the variants' full specs, then per task every
reported quality metric.

The CSV is the complete record (a hundred-plus columns); the Markdown is for PR comments and READMEs. The headline
table (:mod:`.headline`) has one line per task and variant: quality ± 95 % CI, Δ vs baseline [paired-bootstrap CI],
FLOPs/token vs dense, tokens/s, params, energy, device. A variants table maps each short label to its spec and hash,
plus what the variant cost to make (training wall time and tokens) when any row records it; the per-task tables list
every reported quality metric (± stderr) without the cost and delta columns.
"""

from __future__ import annotations

import math
from typing import Any

from codeeff.contracts.records import BASELINE_COLUMN, TRAINING_COST_COLUMNS
from codeeff.leaderboard.headline import HeadlineRow, headline_rows
from codeeff.leaderboard.labels import short_variant
from codeeff.leaderboard.schema import as_number, stderr_column
from codeeff.leaderboard.table import Row, present_metrics

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


def _metrics_table(task: str, rows: list[Row]) -> list[str]:
    metrics = present_metrics(rows)
    header = ["variant", "model", *metrics]
    lines = [f"### {task}", "", "| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [_escape(short_variant(row.get("variant"))), _escape(row.get("model"))]
        lines.append("| " + " | ".join(cells + [_quality_cell(row, m) for m in metrics]) + " |")
    return [*lines, ""]


def _ci(value: float | None, half: float | None) -> str:
    text = fmt(value)
    return f"{text} ± {fmt(half)}" if text and half is not None else text


def _delta(line: HeadlineRow) -> str:
    if line.is_baseline:
        return "baseline"
    text = fmt(line.delta, signed=True)
    if text and line.delta_low is not None and line.delta_high is not None:
        text += f" [{fmt(line.delta_low, signed=True)}, {fmt(line.delta_high, signed=True)}]"
    return text


def headline_cells(line: HeadlineRow) -> list[str]:
    """Cells of one headline line, in :data:`HEADLINE_HEADER` order (shared with the HTML page)."""
    energy = fmt(line.energy_j_per_generated_token) or (f"n/a ({line.energy_note})" if line.energy_note else "")
    flops = f"{100 * line.flops_vs_dense:.1f} %" if line.flops_vs_dense is not None else ""
    return [line.task, line.variant, line.model, line.metric, _ci(line.quality, line.quality_ci), _delta(line),
            flops, fmt(line.tokens_per_s), fmt(line.params), energy, line.device or ""]  # fmt: skip


HEADLINE_HEADER = ("task", "variant", "model", "metric", "quality ± 95% CI", "Δ vs baseline [95% CI]",
                   "FLOPs/token vs dense", "tokens/s", "params", "J/token", "device")  # fmt: skip


def _headline(rows: list[Row], quality: str | None) -> list[str]:
    lines = ["| " + " | ".join(HEADLINE_HEADER) + " |", "|" + "|".join("---" for _ in HEADLINE_HEADER) + "|"]
    lines += ["| " + " | ".join(_escape(c) for c in headline_cells(h)) + " |" for h in headline_rows(rows, quality)]
    return [*lines, ""]


def duration(seconds: Any) -> str:
    """Seconds as ``45 s``, ``27.1 min`` or ``3.2 h``; empty for missing."""
    number = as_number(seconds)
    if number is None:
        return ""
    if number < 120:
        return f"{fmt(number)} s"
    return f"{number / 60:.1f} min" if number < 7200 else f"{number / 3600:.1f} h"


VARIANTS_HEADER = ("variant", "model", "spec", "hash")
TRAINING_HEADER = ("train wall time", "train tokens")  # the "cost to make" group, TRAINING_COST_COLUMNS in order
TRAINING_NOTE = (
    "train wall time / tokens: what making the variant cost (its `codeeff train` records, summed); empty when "
    "nothing was trained or the cost was not recorded."
)


def variants_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the variants table, one line per (model, spec hash) in ``rows`` order; the cost-to-make
    columns appear only when at least one row has a value."""
    wall, tokens = TRAINING_COST_COLUMNS
    trained = any(as_number(row.get(column)) is not None for row in rows for column in TRAINING_COST_COLUMNS)
    header = [*VARIANTS_HEADER, *(TRAINING_HEADER if trained else ())]
    lines: list[list[str]] = []
    seen: set[tuple] = set()
    for row in rows:
        key = (row.get("model"), row.get("spec_hash"))
        if key in seen:
            continue
        seen.add(key)
        spec = row.get("variant") or "baseline (no transform)"
        cells = [short_variant(row.get("variant")), str(row.get("model") or ""), spec, row.get("spec_hash") or ""]
        if trained:
            cells += [duration(row.get(wall)), fmt(row.get(tokens))]
        lines.append(cells)
    return header, lines


def _variants(rows: list[Row]) -> list[str]:
    header, cells = variants_table(sorted(rows, key=lambda r: (short_variant(r.get("variant")), str(r.get("model")))))
    lines = ["## Variants", "", "| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_escape(c) for c in line) + " |" for line in cells]
    if len(header) > len(VARIANTS_HEADER):
        lines += ["", TRAINING_NOTE]
    return [*lines, ""]


def render(rows: list[Row], title: str, quality: str | None = None) -> str:
    """The whole Markdown document for ``rows``."""
    lines = [f"# {title}", ""]
    bases = sorted({str(r[BASELINE_COLUMN]) for r in rows if r.get(BASELINE_COLUMN)})
    lines += [
        "Quality ± 95 % normal interval (lm-eval stderr); Δ = row − baseline"
        + (f" (`{', '.join(bases)}`)" if bases else " (no baseline chosen: `--baseline`)")
        + " with its 95 % paired-bootstrap interval where per-sample scores allow; FLOPs/token as a share of the "
        "dense cost of the same tokens. Full figures: the CSV.",
        "",
    ]
    lines += _headline(rows, quality) + _variants(rows) + ["## Quality metrics per task", ""]
    for task in sorted({str(r.get("task")) for r in rows}):
        lines += _metrics_table(task, [r for r in rows if r.get("task") == task])
    missing_cost = sum(1 for r in rows if as_number(r.get("flops_per_token")) is None)
    if missing_cost:
        lines.append(
            f"{missing_cost} row(s) have no efficiency record (plain `--model hf` runs): their cost cells are empty."
        )
    return "\n".join(lines).rstrip() + "\n"
