"""The transform-module protocol for early exit: ``validate`` (before the weights load) and ``build`` (after)."""

from __future__ import annotations

from typing import Any

from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.early_exit.policies import ConfidencePolicy, ExitPolicy, MLPPolicy, SaturationPolicy
from codeeff.model_adapters.early_exit.policy_syntax import parse_policy
from codeeff.model_adapters.early_exit.runtime import EarlyExit
from codeeff.model_adapters.early_exit.schedule import resolve_exit_depths
from codeeff.model_adapters.errors import VariantSpecError
from codeeff.model_adapters.measure.flops import sliding_windows
from codeeff.model_adapters.transform import BuildContext


def validate(options: dict[str, Any], config: Any, arch: ArchSpec) -> None:
    """Check the early-exit keys against the config and policy files (before weights load)."""
    policy = parse_policy(options.get("early_exit", "none"))
    n = arch.num_layers(config)
    if policy.kind == "none":
        return
    if "exit_adapters_sha256" in options and "exit_adapters" not in options:
        raise VariantSpecError("exit_adapters_sha256 needs exit_adapters")
    if policy.kind == "fixed":
        if policy.depth is None or not 1 <= policy.depth <= n:
            raise VariantSpecError(f"early_exit=fixed:{policy.depth}: depth must be in 1..{n} for this model")
        if "exit_layers" in options:
            raise VariantSpecError("exit_layers applies to dynamic policies, not to early_exit=fixed:L")
        if "exit_adapters" in options and policy.depth < n:
            _exit_adapters(options, [policy.depth], int(config.hidden_size))
        return
    depths = resolve_exit_depths(options.get("exit_layers"), n)
    if "exit_adapters" in options:
        _exit_adapters(options, depths, int(config.hidden_size))
    lo, hi = (-1.0, 1.0) if policy.kind == "saturation" else (0.0, 1.0)
    if not lo <= float(policy.threshold) <= hi:
        raise VariantSpecError(f"early_exit: threshold {policy.threshold} outside [{lo}, {hi}] for {policy.kind}")
    for key in ("confidence_measure", "confidence_vocab"):
        if key in options and policy.kind != "confidence":
            raise VariantSpecError(f"{key} applies to early_exit=confidence:T only")
    if "confidence_vocab" in options:
        _confidence_vocab(options, int(config.vocab_size))
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
    if options.get("kv_mode") == "recompute" and any(w for w in sliding_windows(config, n)):
        raise VariantSpecError(
            "kv_mode=recompute does not support sliding-window attention layers (this model has some); use copy"
        )


def build(options: dict[str, Any], model: nn.Module, arch: ArchSpec, context: BuildContext) -> EarlyExit:
    """An un-applied :class:`EarlyExit` for the (validated) options."""
    spec = parse_policy(options.get("early_exit", "none"))
    n = len(arch.layers(model))
    kv_mode = options.get("kv_mode", "copy")
    adapters = None
    if "exit_adapters" in options and not (spec.kind == "fixed" and spec.depth >= n):
        depths = [spec.depth] if spec.kind == "fixed" else resolve_exit_depths(options.get("exit_layers"), n)
        adapters = _exit_adapters(options, depths, int(model.config.hidden_size)).to(context.device)
    if spec.kind == "fixed":
        return EarlyExit(arch, None, [spec.depth], kv_mode, fixed_depth=spec.depth, adapters=adapters)
    if spec.kind == "confidence":
        vocab = None
        if "confidence_vocab" in options:
            vocab = _confidence_vocab(options, int(arch.lm_head(model).weight.shape[0]))
        policy: ExitPolicy = ConfidencePolicy(
            spec.threshold, options.get("confidence_measure", "top1"), vocab, options.get("confidence_vocab")
        ).to(context.device)
    elif spec.kind == "saturation":
        policy = SaturationPolicy(spec.threshold)
    elif spec.kind in ("classifier", "policy"):
        policy = MLPPolicy(spec.kind, spec.path, spec.threshold, options.get("exit_action", 1))
        policy.to(context.device)
    else:
        raise VariantSpecError(f"early_exit: nothing to build for {spec.kind}")
    return EarlyExit(arch, policy, resolve_exit_depths(options.get("exit_layers"), n), kv_mode, adapters=adapters)


def _exit_adapters(options: dict[str, Any], depths: list[int], hidden_size: int) -> Any:
    """The ``exit_adapters`` file, checked against its sha256, the hidden size and the exit depths."""
    from codeeff.model_adapters.early_exit.adapters import load

    try:
        adapters = load(options["exit_adapters"], hidden_size, options.get("exit_adapters_sha256"))
    except (FileNotFoundError, ValueError) as exc:
        raise VariantSpecError(f"exit_adapters: {exc}") from None
    missing = [d for d in depths if not adapters.has(d)]
    if missing:
        raise VariantSpecError(f"exit_adapters: no adapter for exit depth(s) {missing} (it has {adapters.depths})")
    return adapters


def _confidence_vocab(options: dict[str, Any], vocab_size: int) -> Any:
    """The ``confidence_vocab`` file's token ids, checked against the model's vocabulary size."""
    from codeeff.model_adapters.early_exit.exit_vocab import load_exit_vocab

    try:
        return load_exit_vocab(options["confidence_vocab"], vocab_size)
    except (FileNotFoundError, ValueError) as exc:
        raise VariantSpecError(f"confidence_vocab: {exc}") from None
