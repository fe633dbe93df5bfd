"""Per-forward execution log of a loaded model: two cheap hooks on the top-level CausalLM.

The pre-hook notes the step's shapes (batch, query length, cached tokens per layer, logits kept); early exit, if
applied, adds what it skipped (``EarlyExit.last_step``); the post-hook closes the step and keeps a reference to the
returned cache so KV bytes can be measured from the real tensors. No per-module hooks: their Python overhead would
show in the wall-clock figures the same run reports.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn

from codeeff.model_adapters.hf_internals import cache_in, output_cache
from codeeff.model_adapters.measure.flops import StepLog


def stored_tokens(cache_layer: Any) -> int:
    keys = getattr(cache_layer, "keys", None)
    if not getattr(cache_layer, "is_initialized", False) or not isinstance(keys, torch.Tensor):
        return 0
    return int(keys.shape[-2])


def cache_bytes(cache: Any) -> int:
    """Bytes held by a transformers ``Cache`` (every tensor attribute of every layer, counted once)."""
    seen: set[int] = set()
    total = 0
    for layer in getattr(cache, "layers", None) or ():
        for value in vars(layer).values():
            if isinstance(value, torch.Tensor) and value.numel() and value.data_ptr() not in seen:
                seen.add(value.data_ptr())
                total += value.numel() * value.element_size()
    return total


class ExecutionRecorder:
    """Collects one :class:`StepLog` per forward of ``model`` while attached."""

    def __init__(self, model: nn.Module, num_layers: int, early_exit: Any = None):
        self.model = model
        self.num_layers = num_layers
        self.early_exit = early_exit
        self.steps: list[StepLog] = []
        self.last_cache: Any = None
        self.first_step_end: float | None = None
        self._current: StepLog | None = None
        self._handles = [
            model.register_forward_pre_hook(self._pre, with_kwargs=True),
            model.register_forward_hook(self._post, with_kwargs=True),
        ]

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def drain(self) -> list[StepLog]:
        steps, self.steps = self.steps, []
        self.last_cache = None
        self.first_step_end = None
        return steps

    def _pre(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        embeds = kwargs.get("inputs_embeds")
        ids = kwargs.get("input_ids", args[0] if args else None)
        batch, q_len = embeds.shape[:2] if embeds is not None else ids.shape[:2]
        cache = cache_in(kwargs)
        layers = getattr(cache, "layers", None)
        if layers is not None:
            past_by_layer = [stored_tokens(layers[j]) if j < len(layers) else 0 for j in range(self.num_layers)]
            past_ref = int(cache.get_seq_length())
        else:
            past_by_layer, past_ref = None, 0
        keep = kwargs.get("logits_to_keep", 0)
        if isinstance(keep, torch.Tensor):
            positions = int(keep.numel())
        else:
            positions = q_len if not keep else min(int(keep), q_len)
        self._current = StepLog(int(batch), int(q_len), past_ref, past_by_layer, positions)

    def _post(self, module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        step = self._current
        if step is None:
            return
        step.t_end = time.perf_counter()
        if self.first_step_end is None:
            self.first_step_end = step.t_end
        ee = self.early_exit
        gate = getattr(ee, "last_step", None) if ee is not None else None
        if gate is not None:
            step.layers_run = list(gate.layers_run)
            step.kv_filled = list(gate.kv_filled)
            step.recomputed = list(gate.recomputed)
            step.checks = list(gate.checks)
            step.head_reused = gate.head_reused
            if gate.depth is not None:
                step.exit_depth = gate.depth.tolist()
            elif ee.fixed_depth is not None:
                step.exit_depth = [min(ee.fixed_depth, self.num_layers)] * step.batch
            ee.last_step = None
        cache = output_cache(output)
        if cache is not None:
            self.last_cache = cache
        self.steps.append(step)
        self._current = None
