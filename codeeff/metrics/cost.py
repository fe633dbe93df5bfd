"""The per-sample cost metrics a task emits for one generation (names: :mod:`codeeff.contracts.cost`).

A generation from ``codeeff-hf`` is a ``str`` carrying ``stats`` (cost figure name -> number, or ``None`` when the
figure was not measured). A task's ``process_results`` adds :func:`sample_cost_metrics` of the response to its
metrics, and lm-eval averages them per task. Plain strings carry none. A generation restored from lm-eval's request
cache is marked ``replayed``: its figures describe an earlier run, so none are emitted.
"""

from __future__ import annotations

from typing import Any

from codeeff.contracts.cost import SAMPLE_COST_METRICS

REPLAYED = "replayed"


def sample_cost_metrics(response: Any) -> dict[str, float]:
    """The measured per-sample cost figures carried by ``response`` (unmeasured figures are left out, not 0)."""
    stats = getattr(response, "stats", None) or {}
    if stats.get(REPLAYED):
        return {}
    return {name: float(stats[name]) for name in SAMPLE_COST_METRICS if isinstance(stats.get(name), int | float)}
