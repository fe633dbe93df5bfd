"""lm-eval models that wrap Hugging Face causal LMs as early-exit, attention-bypassed or factorized variants.

Importing this package registers ``codeeff-hf`` (:class:`codeeff.model_adapters.lm.CodeeffHFLM`) with lm-eval; the
``codeeff`` command imports it after ``lm_eval.models`` so the built-in models stay registered.
"""

from codeeff.model_adapters.lm import CodeeffHFLM

__all__ = ["CodeeffHFLM"]
