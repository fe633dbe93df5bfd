"""A loaded model plus its variant: build the transform stack, keep baseline facts, switch baseline <-> variant.

Each transform is built on the model as the earlier transforms left it (NOSE selection sees the factorized model;
early exit sees both), applied, and kept in one :class:`TransformStack`, so ``restore()`` gives back the unmodified
model and ``apply()`` the variant again without rebuilding (fair same-process comparisons).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from codeeff.model_adapters.arch import ArchSpec, spec_for_model
from codeeff.model_adapters.measure.flops import CostModel, sliding_windows
from codeeff.model_adapters.spec import VariantSpec, transform_module
from codeeff.model_adapters.transform import BuildContext, TransformStack


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """(parameters, bytes) with shared/tied tensors counted once (by storage)."""
    seen: set[tuple[int, int]] = set()
    params = nbytes = 0
    for p in model.parameters():
        key = (p.untyped_storage().data_ptr(), p.storage_offset())
        if key in seen:
            continue
        seen.add(key)
        params += p.numel()
        nbytes += p.numel() * p.element_size()
    return params, nbytes


class LoadedVariant:
    """The model, its arch spec, the applied transform stack and the cost models of baseline and variant."""

    def __init__(self, model: nn.Module, spec: VariantSpec, context: BuildContext | None = None):
        self.model = model
        self.spec = spec
        self.arch: ArchSpec = spec_for_model(model)
        self.num_layers = len(self.arch.layers(model))
        self.params_baseline, self.param_bytes_baseline = count_parameters(model)
        self.dense_cost = CostModel(model, self.arch)
        self.windows = sliding_windows(model.config, self.num_layers)
        self.stack = TransformStack()
        context = context or BuildContext(device=str(next(model.parameters()).device))
        try:
            for name in spec.enabled():
                options = spec.options(name)
                transform = transform_module(name).build(options, model, self.arch, context)
                transform.apply(model)
                self.stack.transforms.append(transform)
        except BaseException:
            for transform in reversed(self.stack.transforms):
                transform.restore()
            raise
        self.stack.model = model if self.stack.transforms else None
        self.params, self.param_bytes = count_parameters(model)
        self.cost = CostModel(model, self.arch)
        self.released = False

    def release_originals(self) -> bool:
        """Free the dense modules the transforms replaced (the variant keeps only its own weights); after this,
        :meth:`restore` raises. Returns whether anything was held."""
        import gc

        self.released = self.stack.release() or self.released
        gc.collect()
        return self.released

    def resident_bytes(self) -> int:
        """Bytes of the parameters and buffers the model's modules hold now (shared storages once)."""
        seen: set[tuple[int, int]] = set()
        total = 0
        for tensor in [*self.model.parameters(), *self.model.buffers()]:
            key = (tensor.untyped_storage().data_ptr(), tensor.storage_offset())
            if key not in seen:
                seen.add(key)
                total += tensor.numel() * tensor.element_size()
        return total

    @property
    def early_exit(self) -> Any:
        return self.stack.find("early_exit")

    @property
    def generates_without_cache(self) -> bool:
        """Early exit with ``kv_mode=none``: generation runs without a KV cache (re-running the prefix each step)."""
        ee = self.early_exit
        return ee is not None and ee.dynamic and ee.kv_mode == "none"

    def static_facts(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "param_bytes": self.param_bytes,
            "params_baseline": self.params_baseline,
            "param_bytes_baseline": self.param_bytes_baseline,
            "resident_bytes": self.resident_bytes(),
            "dense_released": self.released,
        }

    def restore(self) -> None:
        """Back to the unmodified model (exact); impossible after :meth:`release_originals` freed something."""
        if self.released:
            raise RuntimeError(
                "this variant's dense modules were freed to measure its own memory; load it with keep_dense=true to "
                "switch back to the unmodified model in the same process"
            )
        self.stack.restore()

    def reapply(self) -> None:
        if self.stack.transforms and not self.stack.active:
            self.stack.apply(self.model)
