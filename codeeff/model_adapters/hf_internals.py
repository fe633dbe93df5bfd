"""The transformers internals the adapters depend on, found once per model and checked: fail closed, never silently.

What the adapters read from transformers besides public modules:

* the keyword under which the KV cache travels through ``CausalLM.forward`` -> decoder -> decoder layer -> attention:
  ``past_key_values`` up to 5.24, ``cache`` from 5.25 (the CausalLM entry point still accepts the old name with a
  deprecation warning; inner modules are called with the new one only);
* the model output's cache attribute (``past_key_values`` / ``cache``; 5.25 keeps the old name as a warning alias);
* the cache object: ``update(keys, values, layer_idx)``, ``get_seq_length()``, ``layers[i].keys`` ``[B, H, T, D]``
  and ``layers[i].is_initialized``.

:func:`check_model` probes all of these when a transform is applied, and the early-exit gates and the shadow-K/V
attention check at every call that the cache keyword really arrived. A future rename therefore raises
:class:`TransformersInternalsError` naming the installed version instead of running a model without its cache.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from torch import nn

# Newest first. Every name here is one some supported transformers version passes to decoder layers and attention.
CACHE_KWARGS: tuple[str, ...] = ("cache", "past_key_values")
TESTED_VERSIONS = "5.17.0 and 5.25.0 (lowest and highest tested), 5.23.0"


class TransformersInternalsError(RuntimeError):
    """The installed transformers moved an internal the adapters rely on (the message names the version)."""


def transformers_version() -> str:
    import transformers

    return str(transformers.__version__)


def internals_error(what: str) -> TransformersInternalsError:
    return TransformersInternalsError(
        f"codeeff model adapters: {what} (transformers {transformers_version()} installed; tested with "
        f"{TESTED_VERSIONS}). Install a tested transformers version, e.g. pip install 'transformers==5.25.0'"
    )


def cache_kwarg_of(function: Any, owner: str) -> str:
    """The cache keyword ``function`` (a module's class-level forward) accepts; an error if none or several."""
    try:
        params = inspect.signature(function).parameters
    except (TypeError, ValueError):
        raise internals_error(f"cannot read the signature of {owner}.forward") from None
    names = [name for name in CACHE_KWARGS if name in params]
    if len(names) != 1:
        found = "none" if not names else " and ".join(names)
        raise internals_error(
            f"{owner}.forward takes the KV cache as {found} of the known keywords ({', '.join(CACHE_KWARGS)})"
        )
    return names[0]


def cache_in(kwargs: dict[str, Any]) -> Any:
    """The cache in a forward's keyword arguments under any known name (None when absent or None)."""
    for name in CACHE_KWARGS:
        value = kwargs.get(name)
        if value is not None:
            return value
    return None


def has_cache_keyword(kwargs: dict[str, Any]) -> bool:
    """Whether the caller passed the cache keyword at all (decoder loops of every tested version always do)."""
    return any(name in kwargs for name in CACHE_KWARGS)


def output_cache(output: Any) -> Any:
    """The cache a model output returned (the declared field, so 5.25's deprecation alias is never touched)."""
    declared = {f.name for f in dataclasses.fields(output)} if dataclasses.is_dataclass(output) else set()
    for name in CACHE_KWARGS:
        if name in declared:
            return getattr(output, name)
    return None


def check_model(model: nn.Module, decoder: nn.Module, layers: list[nn.Module], attn_attr: str) -> str:
    """Probe the loaded model for the cache plumbing the adapters rely on; return the layers' cache keyword.

    The decoder, every decoder layer class and every attention class must take the cache under one and the same known
    keyword, and the cache class must expose the per-layer tensors the adapters read.
    """
    keyword = cache_kwarg_of(type(decoder).forward, type(decoder).__name__)
    seen: set[type] = set()
    for layer in layers:
        for module in (layer, getattr(layer, attn_attr, None)):
            if module is None or type(module) in seen or not _is_transformers_module(module):
                continue
            seen.add(type(module))
            name = cache_kwarg_of(type(module).forward, type(module).__name__)
            if name != keyword:
                raise internals_error(
                    f"{type(decoder).__name__} passes the cache as '{keyword}' but {type(module).__name__} takes "
                    f"'{name}'"
                )
    _check_cache_class(model)
    return keyword


def _is_transformers_module(module: nn.Module) -> bool:
    return type(module).__module__.startswith("transformers.")


def _check_cache_class(model: nn.Module) -> None:
    try:
        from transformers import DynamicCache

        cache = DynamicCache(config=model.config)
    except Exception as exc:  # ImportError, or a constructor that no longer takes config=
        raise internals_error(f"cannot build transformers.DynamicCache(config=...) ({exc})") from None
    missing = [name for name in ("update", "get_seq_length", "layers") if not hasattr(cache, name)]
    if missing:
        raise internals_error(f"DynamicCache lacks {', '.join(missing)}")


def entry_cache_kwarg(model: nn.Module) -> str:
    """The keyword a top-level ``model(...)`` call takes the cache under in the installed version (no deprecation)."""
    return cache_kwarg_of(type(model).forward, type(model).__name__)
