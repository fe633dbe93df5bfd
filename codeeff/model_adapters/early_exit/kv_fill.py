"""K/V of the layers an exited token skips (``kv_mode``).

``copy`` (CALM): each skipped layer caches K/V projected from the exit hidden state with its own weights
(:meth:`ArchSpec.kv_project`), so cache lengths stay equal across layers (:func:`copy_fill`).
``recompute`` (EE-LLM/LayerSkip style, deferred): exited tokens' hidden states are queued per layer and run through the
deep layers at the next step that reaches them, before that step's token (exact deep K/V, no extra pass;
:class:`DeferredQueue`). Queued tokens go through the layer's module call, so its forward pre-hooks run (e.g.
attention bypass's residual tap).
``none``: no K/V at all, which is only consistent without a KV cache (generation then re-runs the whole prefix each
step); the runtime refuses a cache. ``fixed:L`` needs no fill: deeper layers never run, so their K/V are never read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from codeeff.model_adapters import hf_internals
from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.transform import attention_has_core


def copy_fill(arch: ArchSpec, layer: nn.Module, hidden: torch.Tensor, kwargs: dict, cache: Any) -> bool:
    """Write the K/V ``layer`` would cache for ``hidden``; False when the installed attention has no core.

    An attention replacement without a core gets ``codeeff_kv_fill(normed_hidden, kwargs)`` instead, if it defines
    one (see :mod:`codeeff.model_adapters.transform`).
    """
    attn = arch.attention(layer)
    if not attention_has_core(attn):
        fill = getattr(attn, "codeeff_kv_fill", None)
        if callable(fill):
            fill(arch.attn_norm(layer)(hidden), kwargs)
        return False
    keys, values = arch.kv_project(layer, hidden, kwargs)
    cache.update(keys, values, attn.layer_idx)
    return True


@dataclass
class Pending:
    """Tokens waiting to run through one layer (deferred recompute)."""

    hidden: torch.Tensor  # [B, n, d]
    position_ids: torch.Tensor | None
    cos: torch.Tensor | None
    sin: torch.Tensor | None


# A layer call that bypasses the early-exit gate: (layer, hidden, layer kwargs) -> layer output.
LayerCall = Callable[[nn.Module, torch.Tensor, dict], torch.Tensor]


class DeferredQueue:
    """Exited tokens queued per layer index, run through each deep layer at the next step that reaches it."""

    def __init__(self) -> None:
        self._pending: dict[int, Pending] = {}

    def __contains__(self, idx: int) -> bool:
        return idx in self._pending

    def clear(self) -> None:
        self._pending.clear()

    def enqueue(self, idx: int, hidden: torch.Tensor, kwargs: dict) -> None:
        """Queue the exited token(s) ``hidden`` for layer ``idx`` with the step's positions."""
        cos, sin = kwargs.get("position_embeddings") or (None, None)
        self._put(idx, Pending(hidden, kwargs.get("position_ids"), cos, sin))

    def _put(self, idx: int, item: Pending) -> None:
        # tokens already queued for idx passed the earlier layers before these did, so they come first
        self._pending[idx] = _concat(self._pending[idx], item) if idx in self._pending else item

    def run(
        self, idx: int, layer: nn.Module, kwargs: dict, cache: Any, config: Any, num_layers: int, call: LayerCall
    ) -> tuple[int, int, int]:
        """Run the tokens queued for layer ``idx`` (filling its cache), queue their outputs for the next layer.

        Returns ``(layer, tokens run, tokens stored after)`` for the execution log.
        """
        item = self._pending.pop(idx)
        stored = stored_tokens(cache, idx)
        n = item.hidden.shape[1]
        mask = chunk_mask(kwargs.get("attention_mask"), stored, n, item.hidden, config)
        layer_kwargs = dict(kwargs, attention_mask=mask)
        if item.position_ids is not None:
            layer_kwargs["position_ids"] = item.position_ids
        if item.cos is not None:
            layer_kwargs["position_embeddings"] = (item.cos, item.sin)
        out = call(layer, item.hidden, layer_kwargs)
        if stored_tokens(cache, idx) != stored + n:
            raise hf_internals.internals_error(
                f"queued tokens ran through layer {idx} but its cache did not grow by {n} (recompute K/V lost)"
            )
        if idx + 1 < num_layers:
            self._put(idx + 1, Pending(out, item.position_ids, item.cos, item.sin))
        return idx, n, stored + n


def _concat(first: Pending, second: Pending) -> Pending:
    def cat(a, b, dim):
        return None if a is None or b is None else torch.cat([a, b], dim=dim)

    return Pending(
        torch.cat([first.hidden, second.hidden], dim=1),
        cat(first.position_ids, second.position_ids, -1),
        cat(first.cos, second.cos, 1),
        cat(first.sin, second.sin, 1),
    )


def stored_tokens(cache: Any, idx: int) -> int:
    """Tokens layer ``idx`` of ``cache`` holds (0 for a layer not written yet)."""
    layers = getattr(cache, "layers", None)
    if layers is None or idx >= len(layers):
        return 0
    keys = getattr(layers[idx], "keys", None)
    return int(keys.shape[-2]) if getattr(layers[idx], "is_initialized", False) and keys is not None else 0


def chunk_mask(step_mask: Any, stored: int, n: int, hidden: torch.Tensor, config: Any) -> torch.Tensor:
    """Causal + padding mask for ``n`` queued tokens at key positions ``stored..stored+n-1``.

    Key validity (left padding) is read from the current step's mask row, which covers every earlier key.
    """
    batch, device = hidden.shape[0], hidden.device
    total = stored + n
    if step_mask is None:
        valid = torch.ones(batch, total, dtype=torch.bool, device=device)
    elif not isinstance(step_mask, torch.Tensor) or step_mask.dim() != 4:
        raise hf_internals.internals_error(
            f"decoder layers received an attention mask of type {type(step_mask).__name__} (expected a 4-D tensor)"
        )
    else:
        row = step_mask[:, 0, -1, :total]
        valid = row if row.dtype == torch.bool else row == 0
    keys = torch.arange(total, device=device)
    queries = stored + torch.arange(n, device=device)
    allowed = valid[:, None, None, :] & (keys[None, None, None, :] <= queries[None, None, :, None])
    if getattr(config, "_attn_implementation", "sdpa") == "eager":
        zero = torch.zeros((), dtype=hidden.dtype, device=device)
        return torch.where(allowed, zero, torch.finfo(hidden.dtype).min)
    return allowed
