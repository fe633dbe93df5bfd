"""Pareto charts: a task's headline quality metric against FLOPs per token, and against energy when it was measured.

The question a compression study asks is "which variants are not dominated": nothing else is both cheaper and
better. The chart marks that frontier, labels every point with its variant, and draws the baseline as a star, so
the trade-off can be read without the CSV. Energy is plotted only from rows whose energy figure has status
``measured``; derived or unavailable energy is not mixed into a measured axis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from codeeff.contracts.records import BASELINE_COLUMN, SAMPLE_COST_PREFIX
from codeeff.leaderboard.labels import short_variant
from codeeff.leaderboard.schema import as_number, stderr_column
from codeeff.leaderboard.table import Row, present_metrics, row_label

Z95 = 1.959964  # error bars: ± the 95 % normal interval from lm-eval's stderr


@dataclass(frozen=True)
class Axis:
    name: str  # file-name tag
    columns: tuple[str, ...]  # first column with values wins
    label: str
    measured_only: bool = False


AXES: tuple[Axis, ...] = (
    Axis("flops", ("flops_per_token", SAMPLE_COST_PREFIX + "flops"), "executed FLOPs per token (flops_per_token)"),
    Axis("energy", ("energy_j_per_generated_token",), "energy per generated token (J, measured)", measured_only=True),
)


# The y axis by default: the task's most telling reported metric (execution first, then exact, then fuzzy matches).
HEADLINE_QUALITY: tuple[str, ...] = (
    "ca", "pass@1", "exact_match_cxg", "exact_match", "edit_similarity", "codebleu", "bleu_cxg", "bleu", "chrf",
)  # fmt: skip


def headline_metric(rows: list[Row]) -> str | None:
    """The task's most telling reported metric (:data:`HEADLINE_QUALITY` order), else its first metric."""
    present = present_metrics(rows)
    return next((m for m in HEADLINE_QUALITY if m in present), next(iter(present), None))


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    is_baseline: bool
    y_err: float | None = None


def pareto_front(points: list[Point]) -> list[Point]:
    """Points no other point beats on both axes (lower x and higher y), sorted by x."""
    front: list[Point] = []
    for p in sorted(points, key=lambda p: (p.x, -p.y)):
        if not front or p.y > front[-1].y:
            front.append(p)
    return front


def _label(row: Row, with_model: bool) -> str:
    """The short variant label (``EE conf≥0.95@26``), prefixed by the model when a task compares several."""
    variant = short_variant(row.get("variant"))
    return f"{Path(str(row.get('model') or '?')).name}: {variant}" if with_model else variant


def _points(rows: list[Row], axis: Axis, quality: str) -> tuple[list[Point], str | None, int]:
    """Points of the first column of ``axis`` that has any, that column, and how many rows had to be left out."""
    with_model = len({row.get("model") for row in rows}) > 1
    for column in axis.columns:
        points = []
        for row in rows:
            x, y = as_number(row.get(column)), as_number(row.get(quality))
            if x is None or y is None or (axis.measured_only and row.get("energy_status") != "measured"):
                continue
            is_base = bool(row.get(BASELINE_COLUMN)) and row.get(BASELINE_COLUMN) == row_label(row)
            label = _label(row, with_model) + (" (baseline)" if is_base else "")
            stderr = as_number(row.get(stderr_column(quality)))
            points.append(Point(x, y, label, is_base, Z95 * stderr if stderr else None))
        if points:
            return points, column, len(rows) - len(points)
    return [], None, len(rows)


def _label_offsets(points: list[Point], log_x: bool, height_pt: float = 260.0) -> list[tuple[int, int]]:
    """Label offsets (points) that keep labels of nearby points from printing over each other.

    Points are placed top to bottom; a label moves down one line (11 pt) while it would overlap an already placed
    label whose point is horizontally close (within 35 % of the x range: a ~34-character label spans about that).
    Deterministic, no extra dependency; ``height_pt`` approximates the axes' height.
    """
    import math

    def nx(p: Point) -> float:
        return math.log10(p.x) if log_x else p.x

    xs, ys = [nx(p) for p in points], [p.y for p in points]
    x_span = (max(xs) - min(xs)) or 1.0
    y_span = (max(ys) - min(ys)) or 1.0
    placed: list[tuple[float, float]] = []  # (normalised x, label baseline in points)
    offsets: dict[int, tuple[int, int]] = {}
    for index in sorted(range(len(points)), key=lambda i: (-points[i].y, xs[i])):
        x = (xs[index] - min(xs)) / x_span
        y_pt = (points[index].y - min(ys)) / y_span * height_pt
        dy = 5
        while any(abs(x - qx) < 0.35 and abs(y_pt + dy - qy) < 10 for qx, qy in placed):
            dy -= 11
        placed.append((x, y_pt + dy))
        offsets[index] = (6, dy)
    return [offsets[i] for i in range(len(points))]


def _draw(points: list[Point], path: Path, *, title: str, xlabel: str, ylabel: str, footnote: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5.0), dpi=120)
    others = [p for p in points if not p.is_baseline]
    base = [p for p in points if p.is_baseline]
    for group, style in ((others, {"fmt": "o", "markersize": 7, "color": "tab:blue", "label": "variant"}),
                         (base, {"fmt": "*", "markersize": 16, "color": "tab:red", "label": "baseline"})):  # fmt: skip
        if group:
            errors = [p.y_err or 0.0 for p in group]
            ax.errorbar([p.x for p in group], [p.y for p in group], yerr=errors if any(errors) else None,
                        capsize=3, elinewidth=1, zorder=3, **style)  # fmt: skip
    front = pareto_front(points)
    if len(front) >= 2:  # one point is no frontier: neither drawn nor in the legend
        ax.step([p.x for p in front], [p.y for p in front], where="post", color="tab:green", linestyle="--",
                label="Pareto frontier", zorder=2)  # fmt: skip
    xs = [p.x for p in points]
    log_x = min(xs) > 0 and max(xs) / min(xs) > 20
    if log_x:
        ax.set_xscale("log")
    for p, offset in zip(points, _label_offsets(points, log_x), strict=True):
        ax.annotate(p.label, (p.x, p.y), textcoords="offset points", xytext=offset, fontsize=8)
    ax.set_ylim(*y_range(points))
    ax.margins(x=0.15)
    if footnote:
        fig.text(0.01, 0.01, footnote, fontsize=7, color="dimgray")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)


def y_range(points: list[Point]) -> tuple[float, float]:
    """y limits covering every point and error bar with 12 % headroom; a flat metric gets a range on its own scale
    (±5 % of its value, at least 0.05 for 0..1 metrics and 1 for percentages), never a symmetric ±0.06 around 0;
    a non-negative metric's range never dips below 0."""
    lows = [p.y - (p.y_err or 0.0) for p in points]
    highs = [p.y + (p.y_err or 0.0) for p in points]
    low, high = min(lows), max(highs)
    span = high - low
    if span <= 1e-12:
        top = max(abs(p.y) for p in points)
        span = max(0.1 * top, 0.1 if top <= 1.0 else 2.0)
        low, high = low - span / 2, high + span / 2
    pad = 0.12 * span
    bottom = low - pad
    if min(p.y for p in points) >= 0 and bottom < 0:
        bottom = 0.0 if min(lows) >= 0 else min(lows)
    return bottom, high + pad


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def write_plots(rows: list[Row], stem: Path, quality: str | None = None) -> tuple[list[Path], list[str]]:
    """Write ``<stem>.<task>.pareto-<axis>.png`` for every task/axis with data; return (files, skip reasons)."""
    written: list[Path] = []
    skipped: list[str] = []
    missing: dict[tuple[str, str], list[str]] = {}  # (axis, why) -> tasks: one note per reason, not per task
    for task in sorted({str(r.get("task")) for r in rows}):
        task_rows = [r for r in rows if r.get("task") == task]
        metric = quality or headline_metric(task_rows)
        if metric is None:
            skipped.append(f"no plots for {task}: it reports no quality metric")
            continue
        for axis in AXES:
            points, column, left_out = _points(task_rows, axis, metric)
            if not points:
                why = (
                    "no row has a measured energy figure (no sensor on the machine that ran it)"
                    if axis.measured_only
                    else "no row has FLOPs (plain --model hf runs have no efficiency record)"
                )
                missing.setdefault((axis.name, why), []).append(task)
                continue
            path = stem.with_name(f"{stem.name}.{_safe(task)}.pareto-{axis.name}.png")
            xlabel = axis.label if column == axis.columns[0] else f"{column} (per-sample mean)"
            footnote = f"{left_out} row(s) without {column} or {metric} not shown" if left_out else ""
            _draw(points, path, title=f"{task}: {metric} vs {xlabel.split(' (')[0]}", xlabel=xlabel, ylabel=metric,
                  footnote=footnote)  # fmt: skip
            written.append(path)
    for (axis_name, why), tasks in missing.items():
        skipped.append(f"no {axis_name} plot for {', '.join(tasks)}: {why}")
    return written, skipped
