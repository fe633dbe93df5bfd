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

K/V of skipped layers (``kv_mode``)
    ``copy`` (CALM): each skipped layer caches K/V projected from the exit hidden state with its own weights
    (:meth:`ArchSpec.kv_project`), so cache lengths stay equal across layers. ``recompute`` (EE-LLM/LayerSkip style,
    deferred): exited tokens' hidden states are queued per layer and run through the deep layers at the next step
    that reaches them, before that step's token (exact deep K/V, no extra pass). Queued tokens go through the
    layer's module call (its forward pre-hooks run, e.g. attention bypass's residual tap). ``none``: no K/V at all, which is
    only consistent without a KV cache (generation then re-runs the whole prefix each step); a cache is refused.
    ``fixed:L`` needs no fill: deeper layers never run, so their K/V are never read.

Exit logits
    A confidence check computes the exit logits of the rows it checks; when every row of a step has exited, the LM
    head's forward returns those stored logits instead of projecting again (``_Step.head_reused``), so a step pays
    for one head projection, not two.

transformers internals
    The cache keyword of decoder layers (``past_key_values`` / ``cache``) is read from the installed modules'
    signatures at :meth:`EarlyExit.apply` and checked at every layer call (:mod:`.hf_internals`): a layer called
    without it inside a cached step raises instead of running without K/V.

Loglikelihood
    ``fixed:L`` is real (the truncated model scores every position). Dynamic policies decide per token, which a
    one-pass scoring forward cannot exploit; :meth:`EarlyExit.simulate_logits` computes every position's exit from
    all hidden states of one full pass, and the efficiency record labels such figures *simulated*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from codeeff.model_adapters import hf_internals
from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.policies import ConfidencePolicy, ExitPolicy, MLPPolicy, SaturationPolicy
from codeeff.model_adapters.spec import VariantSpecError
from codeeff.model_adapters.transform import BuildContext, attention_has_core

POLICY_KINDS = ("none", "fixed", "confidence", "saturation", "classifier", "policy")


@dataclass(frozen=True)
class PolicySpec:
    kind: str
    threshold: float | None = None
    depth: int | None = None  # fixed:L
    path: str | None = None  # classifier / policy file


def parse_policy(value: str) -> PolicySpec:
    """``none | fixed:L | confidence:T | saturation:T | classifier:PATH[:T] | policy:PATH:T``."""
    text = str(value).strip()
    kind, _, rest = text.partition(":")
    kind = kind.lower()
    try:
        if kind == "none" and not rest:
            return PolicySpec("none")
        if kind == "fixed":
            return PolicySpec("fixed", depth=int(rest))
        if kind in ("confidence", "saturation"):
            return PolicySpec(kind, threshold=float(rest))
        if kind in ("classifier", "policy") and rest:
            path, sep, thr = rest.rpartition(":")
            if sep and _is_number(thr):
                return PolicySpec(kind, threshold=float(thr), path=path)
            if kind == "policy":
                raise ValueError("policy needs a threshold: policy:PATH:T")
            return PolicySpec(kind, threshold=0.5, path=rest)
    except ValueError as exc:
        detail = f" ({exc})" if "threshold" in str(exc) else ""
        raise VariantSpecError(f"early_exit: cannot parse {value!r}{detail}") from None
    raise VariantSpecError(
        f"early_exit: expected one of none | fixed:L | confidence:T | saturation:T | classifier:PATH[:T] | "
        f"policy:PATH:T, got {value!r}"
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def seed_exit_depths(num_layers: int) -> list[int]:
    """The early-exit seed's schedule: first exit after layer 4, every 2nd layer in the first half, every 4th after.

    28 layers -> 4,6,...,14,18,22,26 (9 exits); 32 layers -> 4,...,16,20,24,28 (10 exits), as in the thesis.
    """
    half = num_layers // 2
    depths = list(range(4, half + 1, 2))
    depths += list(range(half + 4, num_layers, 4))
    return [d for d in depths if d < num_layers]


def resolve_exit_depths(value: Any, num_layers: int) -> list[int]:
    if value in (None, "all"):
        return list(range(1, num_layers))
    if value == "seed":
        depths = seed_exit_depths(num_layers)
        if not depths:
            raise VariantSpecError(
                f"exit_layers=seed: a {num_layers}-layer model has no exit in the seed schedule (first exit after "
                "layer 4); give exit_layers explicitly"
            )
        return depths
    bad = [d for d in value if not 1 <= d < num_layers]
    if bad:
        raise VariantSpecError(
            f"exit_layers: {bad} out of range; exit depths are the number of layers run before the check, "
            f"1..{num_layers - 1} for this {num_layers}-layer model"
        )
    return sorted(set(value))


# ----- builder protocol ------------------------------------------------------------------------------------------
def validate(options: dict[str, Any], config: Any, arch: ArchSpec) -> None:
    """Check the early-exit keys against the config and policy files (before weights load)."""
    policy = parse_policy(options.get("early_exit", "none"))
    n = arch.num_layers(config)
    if policy.kind == "none":
        return
    if policy.kind == "fixed":
        if policy.depth is None or not 1 <= policy.depth <= n:
            raise VariantSpecError(f"early_exit=fixed:{policy.depth}: depth must be in 1..{n} for this model")
        if "exit_layers" in options:
            raise VariantSpecError("exit_layers applies to dynamic policies, not to early_exit=fixed:L")
        return
    resolve_exit_depths(options.get("exit_layers"), n)
    lo, hi = (-1.0, 1.0) if policy.kind == "saturation" else (0.0, 1.0)
    if not lo <= float(policy.threshold) <= hi:
        raise VariantSpecError(f"early_exit: threshold {policy.threshold} outside [{lo}, {hi}] for {policy.kind}")
    if "confidence_measure" in options and policy.kind != "confidence":
        raise VariantSpecError("confidence_measure applies to early_exit=confidence:T only")
    if policy.kind in ("classifier", "policy"):
        try:
            mlp = MLPPolicy(policy.kind, policy.path, policy.threshold, options.get("exit_action", 1))
        except (FileNotFoundError, ValueError) as exc:
            raise VariantSpecError(f"early_exit: {exc}") from None
        if mlp.in_features != int(config.hidden_size):
            raise VariantSpecError(
                f"early_exit: {policy.path} takes {mlp.in_features} inputs but the model's hidden size is "
                f"{config.hidden_size}"
            )
    if options.get("kv_mode") == "recompute" and any(w for w in _windows(config, n)):
        raise VariantSpecError(
            "kv_mode=recompute does not support sliding-window attention layers (this model has some); use copy"
        )


def _windows(config: Any, n: int) -> list[int | None]:
    from codeeff.model_adapters.cost import sliding_windows

    return sliding_windows(config, n)


def build(options: dict[str, Any], model: nn.Module, arch: ArchSpec, context: BuildContext) -> EarlyExit:
    spec = parse_policy(options.get("early_exit", "none"))
    n = len(arch.layers(model))
    kv_mode = options.get("kv_mode", "copy")
    if spec.kind == "fixed":
        return EarlyExit(arch, None, [spec.depth], kv_mode, fixed_depth=spec.depth)
    if spec.kind == "confidence":
        policy: ExitPolicy = ConfidencePolicy(spec.threshold, options.get("confidence_measure", "top1"))
    elif spec.kind == "saturation":
        policy = SaturationPolicy(spec.threshold)
    elif spec.kind in ("classifier", "policy"):
        policy = MLPPolicy(spec.kind, spec.path, spec.threshold, options.get("exit_action", 1))
        policy.to(context.device)
    else:
        raise VariantSpecError(f"early_exit: nothing to build for {spec.kind}")
    return EarlyExit(arch, policy, resolve_exit_depths(options.get("exit_layers"), n), kv_mode)


# ----- the transform ---------------------------------------------------------------------------------------------
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


@dataclass
class _Pending:
    """Tokens waiting to run through layer j (deferred recompute)."""

    hidden: torch.Tensor  # [B, n, d]
    position_ids: torch.Tensor | None
    cos: torch.Tensor | None
    sin: torch.Tensor | None


class EarlyExit:
    name = "early_exit"

    def __init__(
        self,
        arch: ArchSpec,
        policy: ExitPolicy | None,
        exit_depths: list[int],
        kv_mode: str = "copy",
        fixed_depth: int | None = None,
    ):
        self.arch = arch
        self.policy = policy
        self.exit_depths = sorted(exit_depths)
        self._exit_set = frozenset(self.exit_depths)
        self.kv_mode = kv_mode
        self.fixed_depth = fixed_depth
        self.model: nn.Module | None = None
        self._layers: list[nn.Module] = []
        self._layers_patched: list[nn.Module] = []
        self._handle = None
        self._layer_hooks: list[Any] = []
        self._head: nn.Module | None = None
        self._step: _Step | None = None
        self._pending: dict[int, _Pending] = {}
        self._direct = False  # a queued-token call through the layer's module call: the gate passes it through
        self._cache_kw = "past_key_values"
        self.check_flops_per_row = 0
        self.last_step: _Step | None = None

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
            from codeeff.model_adapters.cost import CostModel

            self.check_flops_per_row = self.policy.check_flops(CostModel(model, self.arch).head_check_flops())
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
                return out
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
        h = out[active, -1, :]
        decision = self.policy.decide(h, inp[active, -1, :], self.model, self.arch)
        step.checks.append((self.check_flops_per_row, n_active))
        newly = active[decision]
        if newly.numel() == 0:
            return
        step.frozen[newly] = True
        step.h_exit[newly] = out[newly, -1, :]
        step.depth[newly] = depth
        raw = getattr(self.policy, "last_head_logits", None)
        if raw is not None:
            if step.exit_logits is None:
                step.exit_logits = raw.new_zeros(batch, raw.shape[-1])
            step.exit_logits[newly] = raw[decision]
        if bool(step.frozen.all()) and (step.q_len == 1 or step.cache is None):
            step.stop = True

    # --- K/V of skipped layers ---
    def _skip(self, idx: int, layer: nn.Module, hidden: torch.Tensor, kwargs: dict, step: _Step, cache: Any) -> None:
        if cache is None:
            return
        if self.kv_mode == "recompute":
            if step.layers_run and idx == step.layers_run[-1] + 1:  # first skipped layer: queue the exited token
                self._enqueue(idx, hidden, kwargs)
            return
        attn = self.arch.attention(layer)
        if not attention_has_core(attn):
            fill = getattr(attn, "codeeff_kv_fill", None)
            if callable(fill):
                fill(self.arch.attn_norm(layer)(hidden), kwargs)
            return
        keys, values = self.arch.kv_project(layer, hidden, kwargs)
        cache.update(keys, values, attn.layer_idx)
        step.kv_filled.append(idx)

    def _enqueue(self, idx: int, hidden: torch.Tensor, kwargs: dict) -> None:
        cos, sin = kwargs.get("position_embeddings") or (None, None)
        item = _Pending(hidden, kwargs.get("position_ids"), cos, sin)
        self._pending[idx] = _concat(self._pending[idx], item) if idx in self._pending else item

    def _run_pending(self, idx: int, layer: nn.Module, kwargs: dict, step: _Step, cache: Any) -> None:
        """Run queued exited tokens through layer ``idx`` (filling its cache), queue their outputs for the next.

        Runs from a forward pre-hook placed before every other one, and calls the module (``layer(...)``), so the
        pre-hooks other transforms installed on the layer (attention bypass's residual tap) see the queued tokens
        first and the step's own input after; the gate lets the queued call through (``_direct``).
        """
        item = self._pending.pop(idx)
        stored = _stored_tokens(cache, idx)
        n = item.hidden.shape[1]
        mask = _chunk_mask(kwargs.get("attention_mask"), stored, n, item.hidden, self.model.config)
        call = dict(kwargs, attention_mask=mask)
        if item.position_ids is not None:
            call["position_ids"] = item.position_ids
        if item.cos is not None:
            call["position_embeddings"] = (item.cos, item.sin)
        self._direct = True
        try:
            out = layer(item.hidden, **call)
        finally:
            self._direct = False
        if _stored_tokens(cache, idx) != stored + n:
            raise hf_internals.internals_error(
                f"queued tokens ran through layer {idx} but its cache did not grow by {n} (recompute K/V lost)"
            )
        step.recomputed.append((idx, n, stored + n))
        if idx + 1 < len(self._layers):
            nxt = _Pending(out, item.position_ids, item.cos, item.sin)
            # tokens already queued for idx+1 passed layer idx before these did, so they come first
            self._pending[idx + 1] = _concat(self._pending[idx + 1], nxt) if idx + 1 in self._pending else nxt

    # --- loglikelihood ---
    @torch.no_grad()
    def simulate_logits(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-position exits of a dynamic policy from one full pass: (logits [B,T,V], exit depth [B,T])."""
        model, arch = self.model, self.arch
        saved, self._step = self._step, None
        hooks_off = self._handle
        hooks_off.remove()
        try:
            out = model(input_ids, output_hidden_states=True, use_cache=False)
        finally:
            self._handle = arch.decoder(model).register_forward_pre_hook(self._on_step, with_kwargs=True)
            self._step = saved
        hidden = out.hidden_states
        logits = out.logits.clone()
        batch, length = input_ids.shape
        depth = torch.full((batch, length), len(self._layers), dtype=torch.long, device=logits.device)
        done = torch.zeros(batch, length, dtype=torch.bool, device=logits.device)
        checks = reprojected = 0
        for k in self.exit_depths:
            todo = (~done).nonzero(as_tuple=True)
            if todo[0].numel() == 0:
                break
            h = hidden[k][todo]
            decision = self.policy.decide(h, hidden[k - 1][todo], model, arch)
            checks += int(h.shape[0])
            rows = (todo[0][decision], todo[1][decision])
            if rows[0].numel():
                raw = getattr(self.policy, "last_head_logits", None)  # a confidence check's logits: reuse them
                if raw is not None:
                    logits[rows] = arch.softcap(model, raw[decision]).to(logits.dtype)
                else:
                    logits[rows] = arch.head_logits(model, hidden[k][rows]).to(logits.dtype)
                    reprojected += int(rows[0].numel())
                depth[rows] = k
                done[rows] = True
        self.simulated_checks = checks
        self.simulated_reprojected = reprojected
        return logits, depth


def _concat(first: _Pending, second: _Pending) -> _Pending:
    def cat(a, b, dim):
        return None if a is None or b is None else torch.cat([a, b], dim=dim)

    return _Pending(
        torch.cat([first.hidden, second.hidden], dim=1),
        cat(first.position_ids, second.position_ids, -1),
        cat(first.cos, second.cos, 1),
        cat(first.sin, second.sin, 1),
    )


def _stored_tokens(cache: Any, idx: int) -> int:
    layers = getattr(cache, "layers", None)
    if layers is None or idx >= len(layers):
        return 0
    keys = getattr(layers[idx], "keys", None)
    return int(keys.shape[-2]) if getattr(layers[idx], "is_initialized", False) and keys is not None else 0


def _chunk_mask(step_mask: Any, stored: int, n: int, hidden: torch.Tensor, config: Any) -> torch.Tensor:
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
