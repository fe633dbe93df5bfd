"""lm-eval models that wrap Hugging Face causal LMs as early-exit, attention-bypassed or factorized variants.

Importing this package loads nothing heavy: ``import codeeff`` registers ``codeeff-hf`` with lm-eval as a lazy
placeholder for :class:`codeeff.model_adapters.lm.CodeeffHFLM` (torch, transformers and lm-eval's HF model load when
the model is built), and the ``codeeff`` command imports :mod:`.lm` itself. ``CodeeffHFLM`` is also reachable as an
attribute of this package, imported on first access.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CodeeffHFLM"]


def __getattr__(name: str) -> Any:
    if name == "CodeeffHFLM":
        from codeeff.model_adapters.lm import CodeeffHFLM

        return CodeeffHFLM
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
