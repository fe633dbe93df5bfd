"""Adds ``results["codeeff"]`` to lm-eval results: metric signatures, data provenance, sandbox, environment.

lm-eval has no hook for plugins to add to its results, so the ``codeeff`` command wraps
``EvaluationTracker.save_results_aggregated`` (the one place every run's results pass before they are written);
Python API users call :func:`annotate_results` on what ``simple_evaluate`` returns. The leaderboard and the
regression gate read this block to refuse comparing runs with different metric signatures or data.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from codeeff import provenance
from codeeff.environment import fingerprint
from codeeff.version import __version__


def _signature_fn():
    try:
        return importlib.import_module("codeeff.metrics").signature
    except (ImportError, AttributeError):
        return None


def metric_signatures(results: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Signature of every codeeff metric each task reported (keys of lm-eval results are ``metric,filter``)."""
    signature = _signature_fn()
    if signature is None:
        return {}
    out: dict[str, dict[str, str]] = {}
    for task, values in (results.get("results") or {}).items():
        for key in values:
            metric = key.split(",", 1)[0]
            if metric.endswith("_stderr") or metric == "alias":
                continue
            sig = signature(metric)
            if sig:
                out.setdefault(task, {})[metric] = sig
    return out


def annotate_results(results: dict[str, Any]) -> dict[str, Any]:
    """Add (or refresh) ``results["codeeff"]`` in place and return ``results``."""
    if not isinstance(results, dict):
        return results
    recorded = provenance.snapshot()
    tasks = set((results.get("results") or {}).keys())
    results["codeeff"] = {
        "version": __version__,
        "signatures": metric_signatures(results),
        "data": {t: v for t, v in recorded["data"].items() if t in tasks},
        "sandbox": {t: v for t, v in recorded["sandbox"].items() if t in tasks},
        "environment": fingerprint(),
    }
    return results


def install() -> None:
    """Make every results file lm-eval's tracker writes in this process carry ``results["codeeff"]``."""
    from lm_eval.loggers import evaluation_tracker

    tracker = evaluation_tracker.EvaluationTracker
    if getattr(tracker.save_results_aggregated, "_codeeff_hooked", False):
        return
    original = tracker.save_results_aggregated

    @functools.wraps(original)
    def save_results_aggregated(self, results: dict, samples: dict, *args, **kwargs):
        return original(self, annotate_results(results), samples, *args, **kwargs)

    save_results_aggregated._codeeff_hooked = True  # type: ignore[attr-defined]
    tracker.save_results_aggregated = save_results_aggregated
