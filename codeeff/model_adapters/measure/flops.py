"""Analytic FLOPs driven by what actually ran: static per-layer costs from the module tree + a per-step execution log.

Counting follows ``torch.utils.flop_counter.FlopCounterMode`` (matmuls only, ``2*m*n*k``; attention as
``4*batch*heads*q*kv*head_dim`` for QK^T plus AV, with the causal mask ignored like FlopCounterMode does) so the two can
be tested equal; tests compare them on tiny configs of every family and transform. What is *not* counted, as in
FlopCounterMode: elementwise work (norms, activations, softmax, RoPE rotation) and the rotary-frequency outer product
(``2*head_dim/2*q`` per forward, < 0.01 % of a layer).

Two figures per step:
* executed -- the layers that ran (early exit skips), the modules installed (factorized/bypassed), exit checks and
  the K/V fill of skipped layers;
* dense -- the same batch shapes through the unmodified architecture (every layer, every original module), i.e. the
  baseline's cost for exactly the same tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.transform import attention_has_core

BREAKDOWN = ("linear", "attention", "lm_head", "exit_checks", "kv_fill")


def module_flops_per_token(module: nn.Module | None) -> int:
    """Matmul FLOPs per input token of a module tree (``nn.Linear``: ``2*in*out``; custom: ``codeeff_flops_per_token``)."""
    if module is None:
        return 0
    custom = getattr(module, "codeeff_flops_per_token", None)
    if callable(custom):
        return int(custom())
    if isinstance(module, nn.Linear):
        return 2 * module.in_features * module.out_features
    return sum(module_flops_per_token(child) for child in module.children())


@dataclass
class StepLog:
    """One forward call of the model: shapes and what ran (filled by hooks and by early exit)."""

    batch: int
    q_len: int
    past_ref: int  # tokens already in the cache at the reference layer (0 without a cache)
    past_by_layer: list[int] | None  # stored tokens per layer before the step; None without a cache
    head_positions: int  # positions per row whose logits were computed
    layers_run: list[int] | None = None  # None: every layer ran
    kv_filled: list[int] = field(default_factory=list)  # skipped layers whose K/V were filled (q_len tokens/row)
    recomputed: list[tuple[int, int, int]] = field(default_factory=list)  # (layer, tokens/row, kv_len) deferred
    checks: list[tuple[int, int]] = field(default_factory=list)  # (flops per checked row, rows checked)
    exit_depth: list[int] | None = None  # per row: layers whose output the row's (last) token used
    head_reused: bool = False  # the LM head returned a confidence check's logits instead of projecting again
    simulated_depths: list[int] | None = None  # loglikelihood, dynamic policy: per-position simulated depths
    t_start: float = field(default_factory=time.perf_counter)
    t_end: float = 0.0

    @property
    def n_checks(self) -> int:
        return sum(rows for _, rows in self.checks)


@dataclass
class LayerCost:
    linear: int  # matmul FLOPs per token through the layer's installed modules
    kv_proj: int  # FLOPs per token of the K and V projections (the copy-fill cost)
    heads: int  # query heads (0: no attention core)
    head_dim: int


class CostModel:
    """Static costs of the currently installed modules; ``step_flops`` turns a :class:`StepLog` into FLOPs."""

    def __init__(self, model: nn.Module, arch: ArchSpec):
        config = model.config
        self.arch = arch
        self.layers: list[LayerCost] = []
        for layer in arch.layers(model):
            attn = arch.attention(layer)
            core = attention_has_core(attn)
            heads = int(getattr(attn, "num_heads", 0) or getattr(config, "num_attention_heads", 0)) if core else 0
            kv = 0
            if core:
                kv = module_flops_per_token(getattr(attn, "k_proj", None))
                kv += module_flops_per_token(getattr(attn, "v_proj", None))
            self.layers.append(
                LayerCost(
                    linear=module_flops_per_token(layer),
                    kv_proj=kv,
                    heads=heads,
                    head_dim=int(getattr(attn, "head_dim", 0) or 0),
                )
            )
        self.embed_post = sum(module_flops_per_token(m) for m in arch.embed_post_modules(model))
        self.head_pre = sum(module_flops_per_token(m) for m in arch.head_pre_modules(model))
        self.lm_head = module_flops_per_token(arch.lm_head(model))
        self.vocab_size = int(arch.lm_head(model).weight.shape[0])
        self.num_layers = len(self.layers)

    def head_check_flops(self, vocab_rows: int | None = None) -> int:
        """FLOPs per row of one shared-head confidence check (project_out if any, then the LM head; with
        ``vocab_rows``, only that many of the head's output rows)."""
        if vocab_rows is None:
            return self.head_pre + self.lm_head
        return self.head_pre + self.lm_head * vocab_rows // self.vocab_size

    def step_flops(self, step: StepLog) -> dict[str, int]:
        """Executed FLOPs of one step, by :data:`BREAKDOWN` category."""
        tokens = step.batch * step.q_len
        run = range(self.num_layers) if step.layers_run is None else step.layers_run
        linear = self.embed_post * tokens
        attention = 0
        for j in run:
            cost = self.layers[j]
            linear += cost.linear * tokens
            if cost.heads:
                past = step.past_by_layer[j] if step.past_by_layer is not None else 0
                attention += 4 * step.batch * cost.heads * step.q_len * (past + step.q_len) * cost.head_dim
        for j, n_tok, kv_len in step.recomputed:
            cost = self.layers[j]
            linear += cost.linear * step.batch * n_tok
            if cost.heads:
                attention += 4 * step.batch * cost.heads * n_tok * kv_len * cost.head_dim
        lm_head = self.head_pre * tokens
        if not step.head_reused:
            lm_head += self.lm_head * step.batch * step.head_positions
        kv_fill = sum(self.layers[j].kv_proj for j in step.kv_filled) * tokens
        checks = sum(per_row * rows for per_row, rows in step.checks)
        return {"linear": linear, "attention": attention, "lm_head": lm_head, "exit_checks": checks, "kv_fill": kv_fill}

    def dense_step_flops(self, step: StepLog, windows: list[int | None] | None = None) -> int:
        """The same shapes through every layer of this (dense, unmodified) cost model."""
        tokens = step.batch * step.q_len
        total = self.embed_post * tokens + self.head_pre * tokens + self.lm_head * step.batch * step.head_positions
        for j, cost in enumerate(self.layers):
            total += cost.linear * tokens
            if cost.heads:
                past = step.past_ref
                window = windows[j] if windows else None
                if window and step.past_by_layer is not None:
                    past = min(past, window - 1)
                total += 4 * step.batch * cost.heads * step.q_len * (past + step.q_len) * cost.head_dim
        return total


def sliding_windows(config: Any, num_layers: int) -> list[int | None]:
    """Per layer: the sliding window its cache keeps (None: full attention)."""
    window = getattr(config, "sliding_window", None)
    types = getattr(config, "layer_types", None)
    if not window:
        return [None] * num_layers
    if types is None:
        return [int(window)] * num_layers
    return [int(window) if t == "sliding_attention" else None for t in types[:num_layers]]


def cached_equivalent_steps(steps: list[StepLog], num_layers: int) -> list[StepLog]:
    """The steps a generation *with* a KV cache would run for the same tokens as a cache-less one.

    A cache-less generate (early exit ``kv_mode=none``) re-runs the whole prefix each step; the dense reference is
    the unmodified model with its cache: the prompt once, then one new position per step over the cached prefix.
    """
    out: list[StepLog] = []
    for index, step in enumerate(steps):
        if index == 0 or step.past_by_layer is not None:
            out.append(StepLog(step.batch, step.q_len, step.past_ref, step.past_by_layer, step.head_positions))
            continue
        past = step.q_len - 1
        out.append(StepLog(step.batch, 1, past, [past] * num_layers, min(step.head_positions, 1)))
    return out
