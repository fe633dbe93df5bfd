"""From a model and a :class:`FactorizeSpec` to named factor tensors plus a layout saying where each one goes.

The layout (a list of :class:`Slot`) and the tensors (name -> tensor) are the whole variant: installing them builds the
modules (sharing one module per shared tensor name), and saving them is writing both to disk. Computing and loading
therefore meet in one place (:func:`build_modules`).

Tensor names: ``layers.{i}.{role}.down|up|bias`` (per layer), ``global.{role}.down`` (GlobaL Fact's shared G),
``shared.{role}.weight|bias`` (MASS's averaged matrix).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.factorize import linalg
from codeeff.model_adapters.factorize.modules import FactorizedLinear, linear_from
from codeeff.model_adapters.factorize.spec import FactorizeSpec, FactorizeSpecError


@dataclass(frozen=True)
class Slot:
    """One replaced Linear: which tensors make its replacement (``weight`` for a shared dense matrix)."""

    layer: int
    role: str
    down: str | None = None
    up: str | None = None
    weight: str | None = None
    bias: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Plan:
    slots: list[Slot]
    tensors: dict[str, torch.Tensor]
    errors: dict[str, linalg.ApproximationErrors]  # per role
    ranks: dict[str, int]  # per role (absent for mass)


def target_layers(spec: FactorizeSpec, arch: ArchSpec, model: nn.Module) -> list[int]:
    return list(spec.layers) if spec.layers is not None else list(range(len(arch.layers(model))))


def dense_linear(arch: ArchSpec, layer: nn.Module, role: str, index: int) -> nn.Linear:
    module = arch.role_modules(layer)[role]
    if not isinstance(module, nn.Linear):
        raise FactorizeSpecError(
            f"layer {index} role '{role}' is a {type(module).__name__}, not a dense nn.Linear "
            "(already factorized or quantized?)"
        )
    return module


def compute_plan(
    model: nn.Module,
    arch: ArchSpec,
    spec: FactorizeSpec,
    input_scales: Mapping[tuple[int, str], torch.Tensor] | None = None,
) -> Plan:
    """Factor every targeted matrix; ``input_scales[(layer, role)]`` switches svd to activation-aware (ASVD)."""
    layers = arch.layers(model)
    indices = target_layers(spec, arch, model)
    plan = Plan([], {}, {}, {})
    for role in spec.roles:
        modules = [dense_linear(arch, layers[i], role, i) for i in indices]
        weights = [m.weight for m in modules]
        approx: list[torch.Tensor] = []
        if spec.method == "mass":
            plan.tensors[f"shared.{role}.weight"] = linalg.mass_average(weights)
            has_bias = modules[0].bias is not None
            if has_bias:
                plan.tensors[f"shared.{role}.bias"] = linalg.mass_average([m.bias for m in modules])
            for i in indices:
                bias = f"shared.{role}.bias" if has_bias else None
                plan.slots.append(Slot(i, role, weight=f"shared.{role}.weight", bias=bias))
            approx = [plan.tensors[f"shared.{role}.weight"]] * len(modules)
        else:
            m, n = weights[0].shape
            rank = _rank(spec, role, m, n, len(modules))
            plan.ranks[role] = rank
            if spec.method == "globalfact":
                plan.tensors[f"global.{role}.down"] = linalg.global_factor(weights, rank, spec.init)
            for i, module in zip(indices, modules, strict=True):
                prefix = f"layers.{i}.{role}"
                if spec.method == "globalfact":
                    down_name = f"global.{role}.down"
                    up = linalg.local_factor(module.weight, plan.tensors[down_name])
                else:
                    down_name = f"{prefix}.down"
                    scale = None if input_scales is None else input_scales[(i, role)]
                    up, plan.tensors[down_name] = linalg.truncated_svd(module.weight, rank, scale)
                plan.tensors[f"{prefix}.up"] = up
                bias = None
                if module.bias is not None:
                    bias = f"{prefix}.bias"
                    plan.tensors[bias] = module.bias.detach().clone()
                plan.slots.append(Slot(i, role, down=down_name, up=f"{prefix}.up", bias=bias))
                approx.append(up.double() @ plan.tensors[down_name].double())
        plan.errors[role] = linalg.approximation_errors(weights, approx)
    plan.tensors = {name: t.contiguous() for name, t in plan.tensors.items()}  # one layout for compute and load
    return plan


def _rank(spec: FactorizeSpec, role: str, m: int, n: int, group_size: int) -> int:
    rank = spec.rank_for(role)
    if rank is not None:
        return rank
    assert spec.ratio is not None
    if spec.method == "globalfact":  # N local m×r factors + one shared r×n factor = ratio · N·m·n
        rank = int(spec.ratio * group_size * m * n / (n + group_size * m))
    else:
        rank = linalg.rank_for_param_ratio(m, n, spec.ratio)
    return max(1, min(rank, n if spec.method == "globalfact" else min(m, n)))


def build_modules(slots: list[Slot], tensors: Mapping[str, torch.Tensor]) -> dict[tuple[int, str], nn.Module]:
    """The replacement module of every slot; slots naming the same shared tensor get the same module object."""
    shared: dict[tuple[str, str | None], nn.Linear] = {}

    def linear(weight: str, bias: str | None = None) -> nn.Linear:
        key = (weight, bias)
        if key not in shared:
            shared[key] = linear_from(tensors[weight], tensors[bias] if bias else None)
        return shared[key]

    modules: dict[tuple[int, str], nn.Module] = {}
    for slot in slots:
        if slot.weight is not None:
            modules[(slot.layer, slot.role)] = linear(slot.weight, slot.bias)
        else:
            assert slot.down is not None and slot.up is not None
            modules[(slot.layer, slot.role)] = FactorizedLinear(linear(slot.down), linear(slot.up, slot.bias))
    return modules
