"""lm-eval models that wrap Hugging Face causal LMs as early-exit, attention-bypassed or factorized variants.

Importing :mod:`codeeff.model_adapters.lm` registers ``codeeff-hf`` (:class:`CodeeffHFLM`) with lm-eval; the ``codeeff``
command imports it after ``lm_eval.models`` so the built-in models stay registered. This package itself stays light
(torch and transformers load only when the model class is first used), so ``codeeff score`` and the per-sample cost
helpers in :mod:`codeeff.model_adapters.stats` import quickly.
"""

from typing import Any

__all__ = ["CodeeffHFLM"]


def __getattr__(name: str) -> Any:
    if name == "CodeeffHFLM":
        from codeeff.model_adapters.lm import CodeeffHFLM

        return CodeeffHFLM
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
