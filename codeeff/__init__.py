"""codeeff: quality and cost of code LLMs and their compressed variants, as lm-evaluation-harness plugins.

Subpackages: ``tasks`` (lm-eval YAML tasks), ``metrics`` (code metrics with signatures), ``sandbox`` (isolated
execution), ``model_adapters`` (early-exit / bypass / factorized HF models with efficiency records), ``leaderboard``
(CSV / Markdown / plots and the regression gate).
"""

from typing import Any

from codeeff.tasks import tasks_dir

__version__ = "0.1.0"
__all__ = ["__version__", "annotate_results", "tasks_dir"]


def annotate_results(results: dict[str, Any]) -> dict[str, Any]:
    """Add ``results["codeeff"]`` (metric signatures, data provenance, environment) to ``simple_evaluate`` output."""
    from codeeff.results_hook import annotate_results as annotate

    return annotate(results)
