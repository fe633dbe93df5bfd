"""codeeff: quality and cost of code LLMs and their compressed variants, as lm-evaluation-harness plugins.

Subpackages: ``tasks`` (lm-eval YAML tasks), ``metrics`` (code metrics with signatures), ``sandbox`` (isolated
execution), ``model_adapters`` (early-exit / bypass / factorized HF models with efficiency records), ``leaderboard``
(CSV / Markdown / plots and the regression gate).

Importing ``codeeff`` registers the ``codeeff-hf`` model with lm-eval as a lazy placeholder (lm-eval imports the
module, and torch, only when the model is built), so ``simple_evaluate(model="codeeff-hf", ...)`` works after
``import codeeff``. :func:`evaluate` is ``simple_evaluate`` the way the ``codeeff`` command runs it.
"""

from typing import Any

from codeeff.model_adapters.calib import set_task_text_source
from codeeff.tasks import tasks_dir
from codeeff.tasks.documents import task_texts

__version__ = "0.1.0"
__all__ = ["__version__", "annotate_results", "evaluate", "register_models", "tasks_dir"]

MODELS: dict[str, str] = {"codeeff-hf": "codeeff.model_adapters.lm:CodeeffHFLM"}


def register_models() -> None:
    """Register codeeff's models with lm-eval's registry as lazy placeholders (no torch import).

    lm-eval's built-in placeholders are registered first: ``get_model`` only fills the registry with them when it is
    empty, so registering ours alone would hide ``hf``, ``vllm`` and the rest.
    """
    try:
        import lm_eval.models  # noqa: F401  (the built-ins' placeholders)
        from lm_eval.api.registry import model_registry
    except ImportError:  # lm-eval absent: codeeff's own tools (metrics, sandbox) still import
        return
    for name, target in MODELS.items():
        if name not in model_registry:
            model_registry.register(name, target=target)


def annotate_results(results: dict[str, Any]) -> dict[str, Any]:
    """Add ``results["codeeff"]`` (metric signatures, data provenance, environment) to ``simple_evaluate`` output."""
    from codeeff.results_hook import annotate_results as annotate

    return annotate(results)


def evaluate(**kwargs: Any) -> dict[str, Any]:
    """``simple_evaluate`` with codeeff's tasks, preflight, device choice and ``results["codeeff"]``.

    See :func:`codeeff.api.evaluate` for the arguments.
    """
    from codeeff.api import evaluate as run

    return run(**kwargs)


register_models()
set_task_text_source(task_texts)  # calib=task:NAME (the model layer does not import tasks)
