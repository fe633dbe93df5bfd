"""The headline view of a leaderboard: one line per (task, variant) with the figures a reader compares first.

Columns: task, variant (short label), model, the task's headline quality metric ± its 95 % interval (normal, from
lm-eval's stderr), Δ vs the baseline with the paired-bootstrap interval, FLOPs/token as a share of the dense cost of
the same tokens, tokens/s, parameters, energy per token (or why there is none) and the device. Every line also
carries its signature (full spec, hash, metric signature, environment fingerprint, date) for hover text/footnotes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from codeeff.contracts.records import BASELINE_COLUMN, DELTA_PREFIX
from codeeff.leaderboard.labels import short_variant
from codeeff.leaderboard.plot import headline_metric
from codeeff.leaderboard.schema import as_number, stderr_column
from codeeff.leaderboard.table import Row, row_label

Z95 = 1.959964  # two-sided 95 % normal quantile: quality ± Z95 · stderr


@dataclass
class HeadlineRow:
    task: str
    variant: str
    model: str
    metric: str
    quality: float | None
    quality_ci: float | None  # half-width
    delta: float | None
    delta_low: float | None
    delta_high: float | None
    flops_vs_dense: float | None  # flops_per_token / flops_dense_per_token
    tokens_per_s: float | None
    params: float | None
    energy_j_per_generated_token: float | None
    energy_note: str | None
    device: str | None
    is_baseline: bool
    signature: dict[str, Any] = field(default_factory=dict)


def _signature(row: Row, metric: str) -> dict[str, Any]:
    signatures = row.get("metric_signatures")
    try:
        metric_sig = (json.loads(signatures) if isinstance(signatures, str) else signatures or {}).get(metric)
    except (json.JSONDecodeError, AttributeError):
        metric_sig = None
    return {
        "spec": row.get("variant") or "baseline (no transform)",
        "spec_hash": row.get("spec_hash"),
        "metric": metric_sig or metric,
        "task_version": row.get("task_version"),
        "n_samples": row.get("n_samples"),
        "env_fingerprint": row.get("env_fingerprint"),
        "date": row.get("date"),
        "versions": f"codeeff {row.get('codeeff_version')}, lm-eval {row.get('lm_eval_version')}, "
        f"torch {row.get('torch_version')}",
    }


def headline_rows(rows: list[Row], quality: str | None = None) -> list[HeadlineRow]:
    out: list[HeadlineRow] = []
    for task in sorted({str(r.get("task")) for r in rows}):
        task_rows = [r for r in rows if r.get("task") == task]
        metric = quality or headline_metric(task_rows)
        for row in task_rows:
            stderr = as_number(row.get(stderr_column(metric))) if metric else None
            flops, dense = as_number(row.get("flops_per_token")), as_number(row.get("flops_dense_per_token"))
            delta = DELTA_PREFIX + (metric or "")
            out.append(
                HeadlineRow(
                    task=task,
                    variant=short_variant(row.get("variant")),
                    model=str(row.get("model") or ""),
                    metric=metric or "",
                    quality=as_number(row.get(metric)) if metric else None,
                    quality_ci=Z95 * stderr if stderr is not None else None,
                    delta=as_number(row.get(delta)) if metric else None,
                    delta_low=as_number(row.get(f"{delta}_ci_low")) if metric else None,
                    delta_high=as_number(row.get(f"{delta}_ci_high")) if metric else None,
                    flops_vs_dense=flops / dense if flops is not None and dense else None,
                    tokens_per_s=as_number(row.get("tokens_per_s")),
                    params=as_number(row.get("params")),
                    energy_j_per_generated_token=as_number(row.get("energy_j_per_generated_token")),
                    energy_note=_energy_note(row),
                    device=row.get("device"),
                    is_baseline=bool(row.get(BASELINE_COLUMN)) and row[BASELINE_COLUMN] == row_label(row),
                    signature=_signature(row, metric or ""),
                )
            )
    return out


def _energy_note(row: Row) -> str | None:
    if as_number(row.get("energy_j_per_generated_token")) is not None:
        return None
    reason = str(row.get("energy_reason") or row.get("energy_status") or "not recorded")
    return reason.split(":", 1)[0].split(" (", 1)[0]


def signature_text(line: HeadlineRow) -> str:
    return "\n".join(f"{k}: {v}" for k, v in line.signature.items() if v not in (None, ""))
