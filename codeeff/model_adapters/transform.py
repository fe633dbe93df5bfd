"""Reversible runtime transforms of a loaded Hugging Face causal LM, and how they compose.

A *transform* (early exit, attention bypass, factorization) changes a loaded, unmodified ``AutoModelForCausalLM`` in
place through instance-level forward patches and submodule swaps -- never through a forked modelling file -- and can
undo itself exactly, so one loaded model serves the baseline and every variant in one process (fair side-by-side
timing). :class:`TransformStack` applies several in order and restores them in reverse.

Protocol (what every transform implements)
------------------------------------------
``name: str``
    The spec key family it implements (``"early_exit"``, ``"attn_bypass"``, ``"factorize"``).
``apply(model) -> None``
    Patch the model. Must leave ``state_dict()`` keys of untouched modules unchanged.
``restore() -> None``
    Undo exactly: afterwards ``model.state_dict()`` and every forward output equal the pre-``apply`` ones
    (bit-identical; tests check it).
``release() -> bool`` (optional)
    Drop the references to the dense modules the transform replaced (only a transform that holds any defines it;
    it returns whether it held any), so the variant's memory holds only its own weights; ``restore()`` then raises.
``describe() -> dict``
    JSON-serialisable facts for the results (method, layers, ranks, approximation errors SSE_avg/RSSE_avg, ...).
    Goes to ``results["config"]["efficiency"]["variant"]["transforms"]``.

Builders (how the variant spec reaches a transform module)
----------------------------------------------------------
Each spec key belongs to one transform module (table in :mod:`codeeff.model_adapters.spec`). The module exposes::

    def validate(options: dict[str, Any], config: PretrainedConfig, arch: ArchSpec) -> None
        # options: the already type-parsed keys of this transform present in the spec (e.g. {"factorize": "svd",
        # "rank": 8, "factorize_targets": ["q", "k"]}). Called BEFORE weights load: check ranges against the config
        # (layer out of range, rank > dim, missing file) and raise VariantSpecError with one clear message.

    def build(options: dict[str, Any], model: PreTrainedModel, arch: ArchSpec, context: BuildContext) -> Transform
        # Called after the weights load; returns an un-applied transform. Calibration data, the tokenizer and the
        # device come from ``context`` (see :class:`BuildContext`).

``codeeff.model_adapters.bypass:validate/build`` and ``codeeff.model_adapters.factorize:validate/build`` follow this;
early exit is ``codeeff.model_adapters.early_exit:validate/build``. Stack order is fixed: factorize -> attn_bypass ->
early_exit (weights first, then attention swaps, then the layer-forward gates that decide how deep to run).

How a transform tells the cost model what changed
-------------------------------------------------
The analytic cost model (:mod:`codeeff.model_adapters.measure.flops`) re-reads the *current* module tree after the
stack is applied, so most changes need no reporting at all:

* Linear FLOPs per token of a layer = sum of ``2 * in * out`` over the ``nn.Linear`` modules inside it. A factorized
  module built from ``nn.Linear`` children (down: in->r, up: r->out) is therefore counted correctly automatically; a
  module shared between layers is counted once per use (FLOPs) but once in total (parameters, deduplicated by
  storage).
* A module that computes with raw parameters instead defines ``codeeff_flops_per_token() -> int`` (its matmul FLOPs
  per input token); the walker then does not descend into it.
* An attention replacement that computes no attention scores (identity bypass) sets the class attribute
  ``codeeff_attention_core = False``: the layer then gets no QK^T / AV cost and no KV bytes. A replacement that still
  runs attention (blend) keeps the original attention module as a child and leaves the attribute unset (True).
* Early exit skips whole layers per step; it reports them through the per-step execution log
  (:class:`codeeff.model_adapters.measure.flops.StepLog`) -- layers run, layers whose K/V were filled, exit checks.
* When early exit fills the K/V of a skipped layer whose attention was replaced, it calls
  ``attention.codeeff_kv_fill(hidden_states, layer_kwargs)`` if the replacement defines it (e.g. to advance a shadow
  token counter) instead of projecting K/V itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from torch import nn


@runtime_checkable
class Transform(Protocol):
    name: str

    def apply(self, model: nn.Module) -> None: ...

    def restore(self) -> None: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass
class BuildContext:
    """What builders may need besides the model: tokenizer, device, and calibration text on demand.

    ``calibration_texts(n)`` resolves the spec's ``calib`` option (a text/JSONL file, or ``task:NAME`` for an
    lm-eval task's documents) and returns up to ``n`` strings; builders that need no calibration never call it.
    """

    tokenizer: Any = None
    device: str = "cpu"
    calib: str | None = None
    calib_n: int = 32
    extra: dict[str, Any] = field(default_factory=dict)

    def calibration_texts(self, n: int | None = None) -> list[str]:
        from codeeff.model_adapters.calib import load_calibration_texts

        if not self.calib:
            raise ValueError("this transform needs calibration data: pass calib=<file> or calib=task:<name>")
        return load_calibration_texts(self.calib, n or self.calib_n)

    def calibration_batches(self, n: int | None = None, max_tokens: int = 256, batch_size: int = 4):
        """Token batches (``input_ids``, ``attention_mask``; left-padded) of the calibration texts, on ``device``."""
        from codeeff.model_adapters.calib import encode_batches

        return encode_batches(self.tokenizer, self.calibration_texts(n), max_tokens, batch_size, self.device)


class TransformStack:
    """Transforms applied in order and restored in reverse; ``apply``/``restore`` are idempotent per state.

    Also usable as a context manager: ``with TransformStack([...]).applied(model): ...``.
    """

    def __init__(self, transforms: Sequence[Transform] = ()):
        self.transforms: list[Transform] = list(transforms)
        self.model: nn.Module | None = None

    @property
    def active(self) -> bool:
        return self.model is not None

    def apply(self, model: nn.Module) -> None:
        if self.model is not None:
            raise RuntimeError("transform stack is already applied; restore() first")
        done: list[Transform] = []
        try:
            for transform in self.transforms:
                transform.apply(model)
                done.append(transform)
        except BaseException:
            for transform in reversed(done):  # leave nothing half-applied
                transform.restore()
            raise
        self.model = model

    def restore(self) -> None:
        if self.model is None:
            return
        for transform in reversed(self.transforms):
            transform.restore()
        self.model = None

    def applied(self, model: nn.Module):
        stack = self

        class _Ctx:
            def __enter__(self):
                stack.apply(model)
                return stack

            def __exit__(self, *exc):
                stack.restore()
                return False

        return _Ctx()

    def describe(self) -> list[dict[str, Any]]:
        return [{"name": t.name, **t.describe()} for t in self.transforms]

    def release(self) -> bool:
        """Free the replaced dense modules of every transform that holds some; True if any did."""
        released = False
        for transform in self.transforms:
            release = getattr(transform, "release", None)
            if callable(release):
                released = bool(release()) or released
        return released

    def find(self, name: str) -> Transform | None:
        return next((t for t in self.transforms if t.name == name), None)

    def __iter__(self) -> Iterable[Transform]:
        return iter(self.transforms)

    def __len__(self) -> int:
        return len(self.transforms)


def attention_has_core(attention: nn.Module) -> bool:
    """Whether an installed attention module computes attention scores (see the module docstring)."""
    return bool(getattr(attention, "codeeff_attention_core", True))
