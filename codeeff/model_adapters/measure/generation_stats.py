"""Per-request cost figures that travel with generations, so codeeff tasks can log them per sample.

lm-eval has no path from a model into sample logs. ``codeeff-hf``'s ``generate_until`` therefore returns
:class:`GenerationWithStats` strings (a ``str`` subclass, so every task and filter that keeps the object sees plain
text); a task's ``process_results`` calls :func:`cost_metrics` to emit the figures as per-sample metrics, which
lm-eval then averages per task. Regex/transform filters build new strings and drop the figures, so codeeff tasks do
their post-processing inside ``process_results`` instead.

A generation restored from a pickle is a replay (lm-eval's ``--use_cache`` stores responses with pickle): its figures
describe an earlier run, not this one, so it is marked ``replayed`` and :func:`cost_metrics` emits nothing for it.
"""

from __future__ import annotations

from typing import Any

from codeeff.contracts.cost import SAMPLE_COST_METRICS

# Per-sample cost metrics a codeeff task may emit (declare each in the task's metric_list with `aggregation: mean`).
COST_METRICS: tuple[str, ...] = SAMPLE_COST_METRICS


class GenerationWithStats(str):
    """Generated text plus the cost of producing it (``stats``: metric name -> number or None if unmeasured)."""

    stats: dict[str, Any]

    def __new__(cls, text: str, stats: dict[str, Any] | None = None) -> GenerationWithStats:
        obj = super().__new__(cls, text)
        obj.stats = dict(stats or {})
        return obj

    def __reduce__(self):  # a pickled copy comes back as a replay (lm-eval's request cache)
        return (_replayed_generation, (str(self), self.stats))


def _replayed_generation(text: str, stats: dict[str, Any]) -> GenerationWithStats:
    return GenerationWithStats(text, {**stats, "replayed": True})


def cost_metrics(response: Any) -> dict[str, float]:
    """The measured per-sample cost figures carried by ``response`` (none for plain strings or unmeasured figures).

    Unmeasured figures (``None``) are left out rather than reported as 0; the run-level efficiency record says why.
    Replayed responses (restored from lm-eval's request cache) carry stale figures and emit none.
    """
    stats = getattr(response, "stats", None) or {}
    if stats.get("replayed"):
        return {}
    return {name: float(stats[name]) for name in COST_METRICS if isinstance(stats.get(name), int | float)}
