"""Reversible attention bypass on a loaded HF decoder: module swaps, instance-level forward patches, hooks.

The attention *branch* of decoder layer i adds ``branch(x)`` to the residual stream x. Candi's degeneration
(eq. 3.10) generalised with an input multiplier s: ``f = M·branch(x) + (s − M)·x``; the layer's own residual add
supplies one x, so the branch is made to return ``M·branch(x) + (s − 1 − M)·x``.

- ``M == 0`` (``identity`` is M = 0, s = 1): attention is not computed at all. ``self_attn`` is swapped for a
  parameter-free :class:`SkippedAttention`, and a norm that sits on the branch output (Gemma2's
  ``post_attention_layernorm``) for ``nn.Identity``. The originals are held outside the module tree, so the variant's
  ``parameters()`` / ``state_dict()`` no longer contain them – a bypassed attention costs nothing.
- ``M != 0``: attention runs; the branch's last module gets an instance-level ``forward`` that blends.

Cache: a skipped layer writes no K/V, but transformers derives positions (``get_seq_length``) and mask sizes from
one reference layer (layer 0, or the first full-attention layer). If that layer is skipped, a padded batch decodes
differently with and without the cache (model-adapters notes §4, recipe 2). So a skipped layer records a B×1×T×1
zero "shadow" K/V: the layer's cache length stays right at 1/(n_kv·head_dim) of the real memory, on every
transformers version, for every cache layer type. The cache arrives as ``past_key_values`` (transformers ≤ 5.24) or
``cache`` (5.25); a call with neither keyword raises (:mod:`codeeff.model_adapters.hf_internals`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.hf_internals import CACHE_KWARGS, cache_in, has_cache_keyword, internals_error


def branch_output_norm_name(layer: nn.Module) -> str | None:
    """The norm applied to the attention output before the residual add, if the block has one (Gemma2 sandwich).

    In Llama-style blocks ``post_attention_layernorm`` is the *pre-MLP* norm; only blocks that also have a
    ``pre_feedforward_layernorm`` use it on the attention branch.
    """
    if hasattr(layer, "pre_feedforward_layernorm") and hasattr(layer, "post_attention_layernorm"):
        return "post_attention_layernorm"
    return None


class ResidualTap:
    """Keeps the decoder layer's input (the residual stream x) for the branch patches, via a forward pre-hook."""

    def __init__(self, layer: nn.Module):
        self.value: torch.Tensor | None = None
        self._handle = layer.register_forward_pre_hook(self._grab, with_kwargs=True)

    def _grab(self, _module: nn.Module, args: tuple, kwargs: dict) -> None:
        self.value = args[0] if args else kwargs["hidden_states"]

    def take(self) -> torch.Tensor:
        """The current layer input; released after use so no activation outlives its layer call."""
        value, self.value = self.value, None
        if value is None:
            raise RuntimeError("attention bypass: the residual stream was not captured before the attention branch")
        return value

    def remove(self) -> None:
        self._handle.remove()
        self.value = None


def record_shadow_kv(cache: Any, layer_idx: int, hidden_states: torch.Tensor) -> None:
    """Advance a skipped layer's cache length by the query length with B×1×T×1 zero K/V (see module docstring)."""
    if cache is None:
        return
    if not hasattr(cache, "update"):
        raise internals_error(f"the KV cache ({type(cache).__name__}) has no update(); cannot record shadow K/V")
    batch, length = hidden_states.shape[0], hidden_states.shape[1]
    shadow = hidden_states.new_zeros(batch, 1, length, 1)
    cache.update(shadow, shadow, layer_idx)


def _cache_of_call(kwargs: dict[str, Any]) -> Any:
    """The cache a decoder layer passed to its attention; the keyword must be there (every tested version passes it)."""
    if not has_cache_keyword(kwargs):
        raise internals_error(
            f"the decoder layer called its attention without a cache keyword ({', '.join(CACHE_KWARGS)}); "
            f"got {sorted(kwargs)}"
        )
    return cache_in(kwargs)


class SkippedAttention(nn.Module):
    """Stands in for a self-attention that is not computed: returns ``(scale · x, None)`` (zeros for identity).

    ``codeeff_attention_core = False`` tells the cost model this layer has no QKᵀ/AV cost and no K/V
    (:mod:`codeeff.model_adapters.transform`); ``codeeff_kv_fill`` is what early exit calls instead of projecting
    K/V for this layer when it skips it.
    """

    codeeff_attention_core = False

    def __init__(self, layer_idx: int, residual_scale: float, tap: ResidualTap | None):
        super().__init__()
        self.layer_idx = layer_idx
        self.residual_scale = residual_scale
        self._tap = tap

    def forward(self, hidden_states: torch.Tensor, *args, **kwargs):
        record_shadow_kv(_cache_of_call(kwargs), self.layer_idx, hidden_states)
        if self._tap is None:
            return torch.zeros_like(hidden_states), None
        return self._tap.take() * self.residual_scale, None

    def codeeff_kv_fill(self, hidden_states: torch.Tensor, layer_kwargs: dict[str, Any]) -> None:
        record_shadow_kv(_cache_of_call(layer_kwargs), self.layer_idx, hidden_states)

    def extra_repr(self) -> str:
        return f"layer_idx={self.layer_idx}, residual_scale={self.residual_scale}"


def patch_forward(module: nn.Module, make: Callable[[Callable], Callable]) -> Callable[[], None]:
    """Give ``module`` an instance-level forward ``make(previous_forward)``; return the undo function.

    A forward already patched on the instance (another transform) is kept and restored, so patches stack.
    """
    had_own = "forward" in module.__dict__
    previous_own = module.__dict__.get("forward")
    module.forward = make(module.forward)

    def undo() -> None:
        if had_own:
            module.forward = previous_own
        else:
            del module.forward

    return undo


@dataclass
class LayerBypass:
    """What was changed in one decoder layer, so it can be undone exactly."""

    index: int
    swapped: dict[str, nn.Module] = field(default_factory=dict)  # attribute name -> original submodule
    undo_patches: list[Callable[[], None]] = field(default_factory=list)
    tap: ResidualTap | None = None


def bypass_layer(
    layer: nn.Module, index: int, blend_m: float, input_scale: float, attn_attr: str = "self_attn"
) -> LayerBypass:
    """Apply ``f = M·branch(x) + (s − M)·x`` to one layer (``M = blend_m``, ``s = input_scale``)."""
    state = LayerBypass(index)
    residual_scale = input_scale - 1.0 - blend_m
    if residual_scale != 0.0:
        state.tap = ResidualTap(layer)
    attn = getattr(layer, attn_attr)
    norm_name = branch_output_norm_name(layer)
    if blend_m == 0.0:
        layer_idx = getattr(attn, "layer_idx", index)
        layer_idx = index if layer_idx is None else layer_idx
        state.swapped[attn_attr] = attn
        setattr(layer, attn_attr, SkippedAttention(layer_idx, residual_scale, state.tap))
        if norm_name is not None:
            state.swapped[norm_name] = getattr(layer, norm_name)
            setattr(layer, norm_name, nn.Identity())
        return state
    tap = state.tap
    if norm_name is not None:  # blend after the branch's own output norm (Gemma2)

        def blend_norm(previous: Callable) -> Callable:
            def forward(x: torch.Tensor) -> torch.Tensor:
                out = previous(x) * blend_m
                return out if tap is None else out + tap.take() * residual_scale

            return forward

        state.undo_patches.append(patch_forward(getattr(layer, norm_name), blend_norm))
    else:

        def blend_attn(previous: Callable) -> Callable:
            def forward(*args, **kwargs):
                out, weights = previous(*args, **kwargs)
                out = out * blend_m
                return (out if tap is None else out + tap.take() * residual_scale), weights

            return forward

        state.undo_patches.append(patch_forward(attn, blend_attn))
    return state


def unbypass_layer(layer: nn.Module, state: LayerBypass) -> None:
    """Undo :func:`bypass_layer` exactly (original submodules back, patches and hooks removed)."""
    for undo in reversed(state.undo_patches):
        undo()
    for name, module in state.swapped.items():
        setattr(layer, name, module)
    if state.tap is not None:
        state.tap.remove()


class BypassSet:
    """A set of bypassed layers on one model, applied and restored together (a context manager too)."""

    def __init__(
        self, model: nn.Module, arch: ArchSpec, layers: list[int], blend_m: float = 0.0, input_scale: float = 1.0
    ):
        self.model = model
        self.arch = arch
        self.layers = sorted(layers)
        self.blend_m = float(blend_m)
        self.input_scale = float(input_scale)
        self._states: list[LayerBypass] = []
        self._released = False

    @property
    def applied(self) -> bool:
        return bool(self._states)

    def apply(self) -> BypassSet:
        if self._states:
            raise RuntimeError("attention bypass is already applied")
        stack = self.arch.layers(self.model)
        try:
            for index in self.layers:
                self._states.append(
                    bypass_layer(stack[index], index, self.blend_m, self.input_scale, self.arch.attn_attr)
                )
        except BaseException:
            self.restore()
            raise
        return self

    def release(self) -> bool:
        """Drop the swapped-out originals (a bypassed attention's weights then leave memory); restore() raises."""
        held = any(state.swapped for state in self._states)
        for state in self._states:
            state.swapped.clear()
        self._released = self._released or held
        return held

    def restore(self) -> None:
        if self._released and self._states:
            raise RuntimeError(
                "attention bypass: the bypassed modules were released (keep_dense=false); cannot restore"
            )
        stack = self.arch.layers(self.model)
        while self._states:
            state = self._states.pop()
            unbypass_layer(stack[state.index], state)

    def __enter__(self) -> BypassSet:
        return self.apply()

    def __exit__(self, *exc) -> None:
        self.restore()
