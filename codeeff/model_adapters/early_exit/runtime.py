"""Early exit as a reversible runtime transform: per-layer forward gates on the unmodified decoder layers.

How a step runs
    Each decoder layer's ``forward`` is replaced *on the instance* by a gate (state_dict keys, hooks and isinstance
    checks stay intact; ``restore()`` deletes the instance attribute). A decoder pre-hook resets the per-step state.
    After a candidate exit depth ``k`` (``k`` layers have run) the policy looks at the last position of every row
    still running; rows that exit are *frozen*: their last-position hidden state is carried unchanged through the
    remaining layers, so the model's own tail (final norm -> project_out -> LM head -> soft-cap) produces exactly
    ``head(norm(h_k))`` for them.

Batch semantics
    ``freeze`` (default for ``copy``): rows exit independently; while any row still runs, every layer runs for the
    whole batch and frozen rows are written back to their exit state after it (their K/V in that layer are then
    exactly the copy-state K/V of their exit state). Compute is saved only once *all* rows have exited.
    ``recompute`` runs batch size 1 only (a batch would have to exit together, which in practice never happens;
    a cached step with more rows is refused).
    Prompt processing (``q_len > 1`` with a KV cache) always runs full depth for all positions except the decision
    position (the last), whose prediction uses its exit; the prompt's K/V stay exact. Under ``recompute`` the last
    position keeps running through the deep layers with its true hidden state (its deep K/V are exact: what a queue
    would compute at the next full-depth step, at no extra cost since the prompt runs full depth anyway), and only
    its output is replaced by its exit state after the last layer.

K/V of skipped layers
    :mod:`.kv_fill` (``copy`` fill, ``recompute`` queue; ``none`` refuses a KV cache).

Exit logits
    A confidence check computes the exit logits of the rows it checks; when every row of a step has exited, the LM
    head's forward returns those stored logits instead of projecting again (``_Step.head_reused``), so a step pays
    for one head projection, not two.

transformers internals
    The cache keyword of decoder layers (``past_key_values`` / ``cache``) is read from the installed modules'
    signatures at :meth:`EarlyExit.apply` and checked at every layer call (:mod:`.hf_internals`): a layer called
    without it inside a cached step raises instead of running without K/V.

Exit hook
    :meth:`EarlyExit.exit_hidden` is the one place an exit's hidden state is handed to the model's shared tail (final
    norm -> LM head): the policy check, the frozen rows' exit state, a fixed-depth exit and the simulated
    loglikelihood exits all go through it. It returns the state unchanged here.

Loglikelihood
    ``fixed:L`` is real (the truncated model scores every position). Dynamic policies decide per token, which a
    one-pass scoring forward cannot exploit; :meth:`EarlyExit.simulate_logits` (:mod:`.simulated`) computes every
    position's exit from all hidden states of one full pass, and the efficiency record labels such figures
    *simulated*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from codeeff.model_adapters import hf_internals
from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.early_exit.kv_fill import DeferredQueue, copy_fill
from codeeff.model_adapters.early_exit.policies import ExitPolicy
from codeeff.model_adapters.early_exit.simulated import simulate_exits
from codeeff.model_adapters.measure.flops import CostModel


@dataclass
class _Step:
    """Per-forward state of the gates."""

    q_len: int
    cache: Any
    stop: bool = False  # every row has exited (or the fixed depth is reached): skip the remaining layers
    frozen: torch.Tensor | None = None  # [B] rows that exited
    h_exit: torch.Tensor | None = None  # [B, d] their exit states (last position)
    depth: torch.Tensor | None = None  # [B] exit depth per row
    layers_run: list[int] = field(default_factory=list)
    kv_filled: list[int] = field(default_factory=list)
    recomputed: list[tuple[int, int, int]] = field(default_factory=list)
    checks: list[tuple[int, int]] = field(default_factory=list)
    batch: int = 0
    exit_logits: torch.Tensor | None = None  # [B, V] raw LM-head logits of exited rows (confidence checks)
    head_reused: bool = False  # the LM head returned exit_logits instead of projecting


class EarlyExit:
    """The early-exit transform: a fixed depth (``fixed_depth``) or a ``policy`` checked after each of ``exit_depths``."""

    name = "early_exit"

    def __init__(
        self,
        arch: ArchSpec,
        policy: ExitPolicy | None,
        exit_depths: list[int],
        kv_mode: str = "copy",
        fixed_depth: int | None = None,
        adapters: nn.Module | None = None,
    ):
        self.arch = arch
        self.policy = policy
        self.exit_depths = sorted(exit_depths)
        self._exit_set = frozenset(self.exit_depths)
        self.kv_mode = kv_mode
        self.fixed_depth = fixed_depth
        self.adapters = adapters  # per-exit adapters (early_exit/adapters.py) applied in exit_hidden
        self.model: nn.Module | None = None
        self._layers: list[nn.Module] = []
        self._layers_patched: list[nn.Module] = []
        self._handle = None
        self._layer_hooks: list[Any] = []
        self._head: nn.Module | None = None
        self._step: _Step | None = None
        self._pending = DeferredQueue()
        self._direct = False  # a queued-token call through the layer's module call: the gate passes it through
        self._cache_kw = "past_key_values"
        self.check_flops_per_row = 0
        self.last_step: _Step | None = None
        self.simulated_checks = 0
        self.simulated_reprojected = 0

    # --- protocol ---
    @property
    def dynamic(self) -> bool:
        return self.fixed_depth is None

    def apply(self, model: nn.Module) -> None:
        if self.model is not None:
            raise RuntimeError("early exit is already applied")
        self._layers = list(self.arch.layers(model))
        decoder = self.arch.decoder(model)
        self._cache_kw = hf_internals.check_model(model, decoder, self._layers, self.arch.attn_attr)
        self.model = model
        if self.fixed_depth is not None and self.fixed_depth >= len(self._layers):
            self._layers_patched = []  # fixed at full depth: a no-op, leave the layers untouched
        else:
            self._layers_patched = self._layers
        for idx, layer in enumerate(self._layers_patched):
            layer.forward = self._make_gate(idx, layer, layer.forward)
            if self.dynamic and self.kv_mode == "recompute":  # before any other pre-hook (bypass's residual tap)
                hook = self._make_pending_hook(idx)
                self._layer_hooks.append(layer.register_forward_pre_hook(hook, with_kwargs=True, prepend=True))
        self._handle = decoder.register_forward_pre_hook(self._on_step, with_kwargs=True)
        if self.policy is not None:
            head_check = CostModel(model, self.arch).head_check_flops(getattr(self.policy, "vocab_rows", None))
            self.check_flops_per_row = self.policy.check_flops(head_check)
            if self.adapters is not None:  # every checked row goes through its exit's adapter first
                self.check_flops_per_row += self.adapters.flops_per_row()
            if getattr(self.policy, "computes_head_logits", False):
                self._head = self.arch.lm_head(model)
                self._head.forward = self._make_head_gate(self._head.forward)

    def restore(self) -> None:
        if self.model is None:
            return
        for layer in self._layers_patched:
            layer.__dict__.pop("forward", None)
        if self._head is not None:
            self._head.__dict__.pop("forward", None)
            self._head = None
        if self._handle is not None:
            self._handle.remove()
        self._handle = None
        for handle in self._layer_hooks:
            handle.remove()
        self._layer_hooks = []
        self.model = None
        self._step = None
        self._pending.clear()

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kv_mode": self.kv_mode if self.dynamic else "not needed (fixed depth)"}
        if self.fixed_depth is not None:
            out.update(policy="fixed", depth=self.fixed_depth)
        else:
            out.update(self.policy.describe())
            out["exit_depths"] = self.exit_depths
            if self.adapters is not None:
                out["exit_adapters"] = {"rank": self.adapters.rank, "flops_per_row": self.adapters.flops_per_row()}
            out["batch_semantics"] = "batch size 1 only" if self.kv_mode == "recompute" else "freeze"
            out["loglikelihood"] = "simulated (exits computed from all hidden states of one full pass)"
            if self._head is not None or getattr(self.policy, "computes_head_logits", False):
                out["exit_logits"] = "reused from the confidence check (no second LM-head projection)"
        return out

    # --- per step ---
    def _on_step(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        embeds = kwargs.get("inputs_embeds")
        ids = kwargs.get("input_ids", args[0] if args else None)
        shape = embeds.shape if embeds is not None else ids.shape
        batch, q_len = int(shape[0]), int(shape[1])
        cache = hf_internals.cache_in(kwargs)
        if self.dynamic and self.kv_mode == "none" and cache is not None:
            raise RuntimeError(
                "early exit with kv_mode=none cannot use a KV cache (deeper layers would miss the exited tokens' "
                "K/V); generate with use_cache=False or choose kv_mode=copy/recompute"
            )
        if self.dynamic and self.kv_mode == "recompute" and cache is not None:
            if batch > 1:
                raise RuntimeError(
                    f"early exit with kv_mode=recompute runs batch size 1 only (got {batch} rows: a batch could only "
                    "exit when every row agrees, which in practice never happens); use batch_size=1 or kv_mode=copy"
                )
            if kwargs.get("output_hidden_states") or kwargs.get("output_attentions"):
                raise RuntimeError(
                    "early exit with kv_mode=recompute cannot return hidden states or attentions of a cached step "
                    "(queued tokens would be captured with them)"
                )
        if cache is None or cache.get_seq_length() == 0:
            self._pending.clear()  # a new sequence
        self._step = _Step(q_len=q_len, cache=cache, batch=batch)
        self.last_step = self._step

    def _layer_cache(self, kwargs: dict, step: _Step) -> Any:
        """The cache this layer call writes to; raises if the decoder has a cache the layer did not receive."""
        if self._cache_kw not in kwargs:
            raise hf_internals.internals_error(
                f"decoder layers are called without the '{self._cache_kw}' keyword (got {sorted(kwargs)})"
            )
        cache = kwargs.get(self._cache_kw)
        if cache is None and step.cache is not None:
            raise hf_internals.internals_error(
                f"the decoder has a KV cache but its layers received none under '{self._cache_kw}'"
            )
        return cache

    def _make_gate(self, idx: int, layer: nn.Module, original):
        depth_after = idx + 1
        is_exit = depth_after in self._exit_set
        fixed_stop = self.fixed_depth is not None and depth_after == self.fixed_depth
        last_layer = idx == len(self._layers) - 1

        def gate(hidden_states, *args, **kwargs):
            step = self._step
            if step is None or self._direct:  # outside a decoder forward, or a queued-token call: unpatched
                return original(hidden_states, *args, **kwargs)
            cache = self._layer_cache(kwargs, step)
            if step.stop:
                if self.dynamic:
                    self._skip(idx, layer, hidden_states, kwargs, step, cache)
                return hidden_states
            out = original(hidden_states, *args, **kwargs)
            step.layers_run.append(idx)
            if fixed_stop:
                step.stop = True
                return self.exit_hidden(depth_after, out)
            if step.frozen is not None and (self._writes_back(step) or last_layer):
                last = out[:, -1, :]
                out[:, -1, :] = torch.where(step.frozen[:, None], step.h_exit, last)
            if is_exit:
                self._check(depth_after, out, hidden_states, step)
            return out

        return gate

    def _make_pending_hook(self, idx: int):
        def run_queued(layer: nn.Module, args: tuple, kwargs: dict) -> None:
            step = self._step
            if step is None or self._direct or step.stop or idx not in self._pending:
                return
            self._run_pending(idx, layer, kwargs, step, self._layer_cache(kwargs, step))

        return run_queued

    def _writes_back(self, step: _Step) -> bool:
        """Whether frozen rows are reset to their exit state after every layer (not for a recompute prompt)."""
        return not (self.kv_mode == "recompute" and step.q_len > 1 and step.cache is not None)

    def _make_head_gate(self, original):
        def head(hidden_states, *args, **kwargs):
            step = self._step
            logits = step.exit_logits if step is not None else None
            if (
                logits is not None
                and step.stop
                and hidden_states.dim() == 3
                and tuple(hidden_states.shape[:2]) == (step.batch, 1)
            ):
                step.head_reused = True
                return logits[:, None, :].to(hidden_states.dtype)
            return original(hidden_states, *args, **kwargs)

        return head

    def _check(self, depth: int, out: torch.Tensor, inp: torch.Tensor, step: _Step) -> None:
        batch = out.shape[0]
        if step.frozen is None:
            step.frozen = torch.zeros(batch, dtype=torch.bool, device=out.device)
            step.h_exit = out[:, -1, :].clone()
            step.depth = torch.full((batch,), len(self._layers), dtype=torch.long, device=out.device)
        active = (~step.frozen).nonzero().flatten()
        n_active = int(active.numel())
        if n_active == 0:
            return
        h = self.exit_hidden(depth, out[active, -1, :])
        decision = self.policy.decide(h, inp[active, -1, :], self.model, self.arch)
        step.checks.append((self.check_flops_per_row, n_active))
        newly = active[decision]
        if newly.numel() == 0:
            return
        step.frozen[newly] = True
        step.h_exit[newly] = h[decision]
        step.depth[newly] = depth
        raw = getattr(self.policy, "last_head_logits", None)
        if raw is not None:
            if step.exit_logits is None:
                step.exit_logits = raw.new_zeros(batch, raw.shape[-1])
            step.exit_logits[newly] = raw[decision]
        if bool(step.frozen.all()) and (step.q_len == 1 or step.cache is None):
            step.stop = True

    # --- the exit hook ---
    def exit_hidden(self, depth: int, hidden: torch.Tensor) -> torch.Tensor:
        """The hidden state an exit after ``depth`` layers hands to the model's shared final norm + LM head.

        Every exit goes through here: the rows a policy checks (``[rows, d]``, what it decides on and, for those that
        exit, their frozen state), a fixed-depth exit (``[B, T, d]``) and the simulated loglikelihood exits. The
        shared tail needs no change of the state, so it is returned as is — unless per-exit adapters are loaded
        (``exit_adapters``): then ``hidden + adapter_depth(hidden)``. The adapted state is what the policy decides
        on, what the shared tail reads and what fills the skipped layers' K/V (``kv_mode=copy``).
        """
        if self.adapters is None or not self.adapters.has(depth):
            return hidden
        param = next(self.adapters.parameters())
        return self.adapters(hidden.to(param.dtype), depth).to(hidden.dtype)

    # --- K/V of skipped layers ---
    def _skip(self, idx: int, layer: nn.Module, hidden: torch.Tensor, kwargs: dict, step: _Step, cache: Any) -> None:
        if cache is None:
            return
        if self.kv_mode == "recompute":
            if step.layers_run and idx == step.layers_run[-1] + 1:  # first skipped layer: queue the exited token
                self._pending.enqueue(idx, hidden, kwargs)
            return
        if copy_fill(self.arch, layer, hidden, kwargs, cache):
            step.kv_filled.append(idx)

    def _run_pending(self, idx: int, layer: nn.Module, kwargs: dict, step: _Step, cache: Any) -> None:
        """Run queued exited tokens through layer ``idx`` (filling its cache), queue their outputs for the next.

        Runs from a forward pre-hook placed before every other one, and calls the module (``layer(...)``), so the
        pre-hooks other transforms installed on the layer (attention bypass's residual tap) see the queued tokens
        first and the step's own input after; the gate lets the queued call through (``_direct``).
        """
        config, n_layers = self.model.config, len(self._layers)
        step.recomputed.append(self._pending.run(idx, layer, kwargs, cache, config, n_layers, self._call_direct))

    def _call_direct(self, layer: nn.Module, hidden: torch.Tensor, kwargs: dict) -> torch.Tensor:
        self._direct = True
        try:
            return layer(hidden, **kwargs)
        finally:
            self._direct = False

    # --- loglikelihood ---
    def simulate_logits(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-position exits of a dynamic policy from one full pass: (logits [B,T,V], exit depth [B,T])."""
        model, arch = self.model, self.arch
        saved, self._step = self._step, None
        self._handle.remove()
        try:
            sim = simulate_exits(
                model, arch, self.policy, self.exit_depths, len(self._layers), input_ids, self.exit_hidden
            )
        finally:
            self._handle = arch.decoder(model).register_forward_pre_hook(self._on_step, with_kwargs=True)
            self._step = saved
        self.simulated_checks = sim.checks
        self.simulated_reprojected = sim.reprojected
        return sim.logits, sim.depth
