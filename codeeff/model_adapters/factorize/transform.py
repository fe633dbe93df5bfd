"""The factorization transform: swap targeted Linears for their factorized/shared replacements, and back.

The replacement modules are built once (at construction) and swapped in and out, so apply/restore cycles are cheap and
``restore()`` puts the *original module objects* back — state_dict and outputs are exactly the baseline's. While
applied, the dense originals stay referenced here (outside the module tree), so the process holds both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.factorize import linalg
from codeeff.model_adapters.factorize.plan import Plan, Slot, build_modules, dense_linear
from codeeff.model_adapters.factorize.spec import FactorizeSpec


def unique_params(modules: list[nn.Module] | nn.Module) -> int:
    """Parameters counted once per storage (a shared tensor counts once however many places use it)."""
    seen = {id(p): p.numel() for m in (modules if isinstance(modules, list) else [modules]) for p in m.parameters()}
    return sum(seen.values())


class FactorizeTransform:
    """``factorize``: svd / globalfact / mass on the spec's roles and layers (see :mod:`codeeff.model_adapters.factorize`)."""

    name = "factorize"

    def __init__(
        self,
        model: nn.Module,
        arch: ArchSpec,
        spec: FactorizeSpec,
        slots: list[Slot],
        tensors: Mapping[str, torch.Tensor],
        errors: Mapping[str, linalg.ApproximationErrors] | None = None,
        ranks: Mapping[str, int] | None = None,
        source: str = "computed",
    ):
        self.arch = arch
        self.spec = spec
        self.slots = list(slots)
        self.tensors = dict(tensors)
        self.errors = dict(errors or {})
        self.ranks = dict(ranks or {})
        self.source = source
        layers = arch.layers(model)
        originals = {(s.layer, s.role): dense_linear(arch, layers[s.layer], s.role, s.layer) for s in self.slots}
        self._check_shapes(originals)
        self._replacements = build_modules(self.slots, self.tensors)
        for key, module in self._replacements.items():
            module.to(originals[key].weight.device)
        self._params_model = unique_params(model)
        self._params_targets = unique_params(list(originals.values()))
        self._params_factors = unique_params(list(self._replacements.values()))
        self._originals: dict[tuple[int, str], nn.Module] = {}
        self._model: nn.Module | None = None

    @classmethod
    def from_plan(cls, model: nn.Module, arch: ArchSpec, spec: FactorizeSpec, plan: Plan) -> FactorizeTransform:
        return cls(model, arch, spec, plan.slots, plan.tensors, plan.errors, plan.ranks)

    def _check_shapes(self, originals: Mapping[tuple[int, str], nn.Linear]) -> None:
        for slot in self.slots:
            original = originals[(slot.layer, slot.role)]
            if slot.weight is not None:
                shape = tuple(self.tensors[slot.weight].shape)
            else:
                shape = (self.tensors[slot.up].shape[0], self.tensors[slot.down].shape[1])
            if shape != tuple(original.weight.shape):
                raise ValueError(
                    f"factors for layer {slot.layer} role '{slot.role}' have shape {shape}, the model's matrix "
                    f"{tuple(original.weight.shape)} (factors saved from a different model?)"
                )

    # ----- Transform protocol ----------------------------------------------------------------------------------
    def apply(self, model: nn.Module) -> None:
        if self._model is not None:
            raise RuntimeError("factorize is already applied")
        layers = self.arch.layers(model)
        try:
            for (index, role), replacement in self._replacements.items():
                parent, attr = self.arch.role_parent(layers[index], role)
                self._originals[(index, role)] = getattr(parent, attr)
                setattr(parent, attr, replacement)
        except BaseException:
            self._model = model
            self.restore()
            raise
        self._model = model

    def restore(self) -> None:
        if self._model is None:
            return
        if getattr(self, "_released", False):
            raise RuntimeError("factorize: the dense modules were released (keep_dense=false); cannot restore")
        layers = self.arch.layers(self._model)
        for (index, role), original in self._originals.items():
            parent, attr = self.arch.role_parent(layers[index], role)
            setattr(parent, attr, original)
        self._originals.clear()
        self._model = None

    def release(self) -> bool:
        """Forget the dense modules the factors replaced (the variant then holds only its factors)."""
        held = bool(self._originals)
        self._originals.clear()
        self._released = held or getattr(self, "_released", False)
        return held

    def describe(self) -> dict[str, Any]:
        total = linalg.merge_errors(list(self.errors.values()))
        params_after = self._params_model - self._params_targets + self._params_factors
        return {
            "method": self.spec.method,
            "spec": self.spec.as_dict(),
            "roles": list(self.spec.roles),
            "layers": sorted({s.layer for s in self.slots}),
            "ranks": dict(self.ranks),
            "shared_tensors": sorted(n for n in self.tensors if not n.startswith("layers.")),
            "params_before": self._params_model,
            "params_after": params_after,
            "compression_ratio": params_after / self._params_model,  # Simionato: compressed size / original size
            "targets_params_before": self._params_targets,
            "targets_params_after": self._params_factors,
            "targets_compression_ratio": self._params_factors / self._params_targets,
            "sse_avg": None if total is None else total.sse_avg,
            "rsse_avg": None if total is None else total.rsse_avg,
            "errors_by_role": {
                role: {"sse_avg": e.sse_avg, "rsse_avg": e.rsse_avg, "matrices": e.count}
                for role, e in self.errors.items()
            },
            "source": self.source,
        }
