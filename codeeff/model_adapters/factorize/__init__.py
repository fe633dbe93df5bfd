"""``factorize``: replace targeted Linears with low-rank factors (svd), shared-global + local factors (GlobaL Fact) or
shared averaged matrices (MASS), reversibly; report the compression ratio and the approximation errors.

Spec keys (see :mod:`codeeff.model_adapters.spec`): ``factorize`` = svd | globalfact | mass;
``factorize_targets`` = roles (q,k,v,o,gate,up,down; OPT: q,k,v,o/out_proj,fc1,fc2); ``factorize_layers`` = the
layers (default all; MASS in the thesis: e.g. 8-23); ``rank`` or ``param_ratio`` (svd, globalfact); ``global_init``
= 1 | 2 (GlobaL Fact's global-factor init, default 2); ``act_aware`` (svd: ASVD scaling on ``calib`` texts);
``factors`` = a folder written by :func:`save_factorized` (spec + safetensors) to load instead of computing.

Math in :mod:`.linalg`, layout and modules in :mod:`.plan` / :mod:`.modules`, the transform in :mod:`.transform`,
files in :mod:`.storage`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.factorize.plan import compute_plan, dense_linear, target_layers
from codeeff.model_adapters.factorize.spec import FactorizeSpec, FactorizeSpecError
from codeeff.model_adapters.factorize.storage import load_factorized, read_layout, save_factorized
from codeeff.model_adapters.factorize.transform import FactorizeTransform

__all__ = [
    "FactorizeSpec",
    "FactorizeSpecError",
    "FactorizeTransform",
    "build",
    "factorize_model",
    "load_factorized",
    "save_factorized",
    "spec_from_options",
    "validate",
]

_METHOD_KEYS = ("rank", "param_ratio", "factorize_targets", "factorize_layers", "act_aware", "global_init")


def spec_from_options(options: dict[str, Any]) -> FactorizeSpec:
    """The :class:`FactorizeSpec` of parsed spec keys (not yet checked against a model)."""
    if "factorize_targets" not in options:
        raise FactorizeSpecError("factorize needs factorize_targets=<roles> (e.g. gate,up or q,k,v,o)")
    layers = options.get("factorize_layers")
    return FactorizeSpec(
        method=options["factorize"],
        roles=tuple(options["factorize_targets"]),
        layers=None if layers is None else tuple(layers),
        rank=options.get("rank"),
        ratio=options.get("param_ratio"),
        init=int(options.get("global_init", 2)),
        act_aware=bool(options.get("act_aware", False)),
    )


def validate(options: dict[str, Any], config: Any, arch: ArchSpec) -> None:
    """Check the factorize keys against the config, before any weights load."""
    if options.get("factors"):
        clashing = [k for k in _METHOD_KEYS if k in options]
        if clashing:
            raise FactorizeSpecError(f"factors=: {', '.join(clashing)} come from the saved variant; drop them")
        layout = read_layout(options["factors"])
        saved = FactorizeSpec.from_dict(layout["spec"])
        if options.get("factorize") not in (None, saved.method):
            raise FactorizeSpecError(f"factors= holds a {saved.method} variant, but factorize={options['factorize']}")
        if layout["family"] != arch.family:
            raise FactorizeSpecError(f"factors= was saved from a {layout['family']} model, this is {arch.family}")
        saved.validate(arch, config)
        return
    spec = spec_from_options(options).validate(arch, config)
    if spec.act_aware and not options.get("calib"):
        raise FactorizeSpecError("act_aware=true scales by calibration activations: pass calib=<file>")


@torch.no_grad()
def input_scales(
    model: nn.Module, arch: ArchSpec, spec: FactorizeSpec, batches, alpha: float
) -> dict[tuple[int, str], torch.Tensor]:
    """ASVD scaling per targeted module: (mean over real tokens of |x_j|)^alpha per input channel j."""
    layers = arch.layers(model)
    sums: dict[tuple[int, str], torch.Tensor] = {}
    count = 0
    keep: torch.Tensor | None = None
    handles = []

    def hook(key: tuple[int, str]):
        def grab(_module, args):
            x = args[0][keep].abs().double().sum(dim=0)
            sums[key] = sums[key] + x if key in sums else x

        return grab

    for index in target_layers(spec, arch, model):
        for role in spec.roles:
            module = dense_linear(arch, layers[index], role, index)
            handles.append(module.register_forward_pre_hook(hook((index, role))))
    try:
        for ids, mask in batches:
            keep = mask.bool()
            count += int(keep.sum())
            model(input_ids=ids, attention_mask=mask, use_cache=False)
    finally:
        for handle in handles:
            handle.remove()
    if count == 0:
        raise ValueError("act_aware: the calibration batches hold no tokens")
    floor = torch.finfo(torch.float32).eps
    return {key: (total / count).clamp_min(floor).pow(alpha) for key, total in sums.items()}


def factorize_model(
    model: nn.Module, arch: ArchSpec, spec: FactorizeSpec, calibration_batches=None
) -> FactorizeTransform:
    """Compute the factors of ``spec`` for ``model`` (validated) and return the un-applied transform."""
    spec = spec.validate(arch, model.config)
    scales = None
    if spec.act_aware:
        if calibration_batches is None:
            raise FactorizeSpecError("act_aware=true needs calibration batches")
        scales = input_scales(model, arch, spec, calibration_batches, spec.act_alpha)
    return FactorizeTransform.from_plan(model, arch, spec, compute_plan(model, arch, spec, scales))


def build(options: dict[str, Any], model: nn.Module, arch: ArchSpec, context: Any) -> FactorizeTransform:
    """The transform of the spec keys: loaded from ``factors=`` or computed (calibrating if ``act_aware``)."""
    validate(options, model.config, arch)
    if options.get("factors"):
        return load_factorized(options["factors"], model, arch)
    spec = spec_from_options(options)
    batches = None
    if spec.act_aware:
        if getattr(context, "calib", None) is None:
            context.calib = options.get("calib")
        batches = context.calibration_batches(options.get("calib_n"))
    return factorize_model(model, arch, spec, batches)
