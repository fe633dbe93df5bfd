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

from codeeff.leaderboard.schema import BASELINE_COLUMN, SAMPLE_COST_PREFIX, as_number
from codeeff.leaderboard.table import Row, present_metrics, row_label


@dataclass(frozen=True)
class Axis:
    name: str  # file-name tag
    columns: tuple[str, ...]  # first column with values wins
    label: str
    measured_only: bool = False


AXES: tuple[Axis, ...] = (
    Axis("flops", ("flops_per_token", SAMPLE_COST_PREFIX + "flops"), "executed FLOPs per token (flops_per_token)"),
    Axis("energy", ("energy_j_per_token",), "energy per generated token (J, measured)", measured_only=True),
)


# The y axis by default: the task's most telling reported metric (execution first, then exact, then fuzzy matches).
HEADLINE_QUALITY: tuple[str, ...] = (
    "ca", "pass@1", "exact_match_cxg", "exact_match", "edit_similarity", "codebleu", "bleu_cxg", "bleu", "chrf",
)  # fmt: skip


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    is_baseline: bool


def pareto_front(points: list[Point]) -> list[Point]:
    """Points no other point beats on both axes (lower x and higher y), sorted by x."""
    front: list[Point] = []
    for p in sorted(points, key=lambda p: (p.x, -p.y)):
        if not front or p.y > front[-1].y:
            front.append(p)
    return front


def _label(row: Row) -> str:
    model = Path(str(row.get("model") or "?")).name
    variant = row.get("variant")
    label = f"{model}: {variant}" if variant else model
    return label if len(label) <= 34 else label[:16] + "…" + label[-17:]  # long labels would squeeze the axes


def _points(rows: list[Row], axis: Axis, quality: str) -> tuple[list[Point], str | None, int]:
    """Points of the first column of ``axis`` that has any, that column, and how many rows had to be left out."""
    for column in axis.columns:
        points = []
        for row in rows:
            x, y = as_number(row.get(column)), as_number(row.get(quality))
            if x is None or y is None or (axis.measured_only and row.get("energy_status") != "measured"):
                continue
            is_base = bool(row.get(BASELINE_COLUMN)) and row.get(BASELINE_COLUMN) == row_label(row)
            label = _label(row) + (" (baseline)" if is_base else "")
            points.append(Point(x, y, label, is_base))
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
    if others:
        ax.scatter([p.x for p in others], [p.y for p in others], s=45, color="tab:blue", label="variant", zorder=3)
    if base:
        ax.scatter([p.x for p in base], [p.y for p in base], s=220, marker="*", color="tab:red", label="baseline",
                   zorder=4)  # fmt: skip
    front = pareto_front(points)
    ax.step([p.x for p in front], [p.y for p in front], where="post", color="tab:green", linestyle="--",
            label="Pareto frontier", zorder=2)  # fmt: skip
    xs = [p.x for p in points]
    log_x = min(xs) > 0 and max(xs) / min(xs) > 20
    if log_x:
        ax.set_xscale("log")
    for p, offset in zip(points, _label_offsets(points, log_x), strict=True):
        ax.annotate(p.label, (p.x, p.y), textcoords="offset points", xytext=offset, fontsize=8)
    ax.margins(x=0.15, y=0.12)
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


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def write_plots(rows: list[Row], stem: Path, quality: str | None = None) -> tuple[list[Path], list[str]]:
    """Write ``<stem>.<task>.pareto-<axis>.png`` for every task/axis with data; return (files, skip reasons)."""
    written: list[Path] = []
    skipped: list[str] = []
    for task in sorted({str(r.get("task")) for r in rows}):
        task_rows = [r for r in rows if r.get("task") == task]
        present = present_metrics(task_rows)
        metric = quality or next((m for m in HEADLINE_QUALITY if m in present), next(iter(present), None))
        if metric is None:
            skipped.append(f"{task}: no quality metric to plot")
            continue
        for axis in AXES:
            points, column, left_out = _points(task_rows, axis, metric)
            if not points:
                why = "measured energy" if axis.measured_only else "FLOPs (no efficiency record / per-sample flops)"
                skipped.append(f"{task}: no {axis.name} plot, no row has {why} and {metric}")
                continue
            path = stem.with_name(f"{stem.name}.{_safe(task)}.pareto-{axis.name}.png")
            xlabel = axis.label if column == axis.columns[0] else f"{column} (per-sample mean)"
            footnote = f"{left_out} row(s) without {column} or {metric} not shown" if left_out else ""
            _draw(points, path, title=f"{task}: {metric} vs {xlabel.split(' (')[0]}", xlabel=xlabel, ylabel=metric,
                  footnote=footnote)  # fmt: skip
            written.append(path)
    return written, skipped
