"""Choosing which attention layers to bypass from calibration batches: NOSE (transfer entropy) and cosine similarity.

Both run the model without a cache over left-padded calibration batches and look only at real (non-pad) tokens.

- NOSE (Candi, Algorithm 1): the target is the output of the last decoder layer (before the model's final norm);
  its entropy is measured with the candidate set bypassed *the way the variant will bypass it* (``bypass_mode``:
  ``identity`` by default, ``seed2x`` or the ``blend`` parameters), so the selection scores the intervention that is
  actually evaluated. The thesis' own reading of "Attn ← I" (the attention output replaced by its input, giving 2x
  after the residual add) is ``bypass_mode=seed2x`` (= ``blend`` with ``blend_m=0, input_scale=2``).
- cosine (LLM-Drop / ShortGPT style, one shot): for each layer, the mean cosine similarity between the attention
  sublayer's input x and its output x + branch(x); the N most similar (least changing) layers are bypassed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.bypass.nose import NoseResult, gaussian_entropy, nose_select
from codeeff.model_adapters.bypass.runtime import BypassSet, branch_output_norm_name

Batch = Mapping[str, torch.Tensor]


def _first(output):
    return output[0] if isinstance(output, tuple) else output


@torch.no_grad()
def _run(model: nn.Module, batch: Batch) -> None:
    model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False)


@torch.no_grad()
def target_entropy(model: nn.Module, arch: ArchSpec, batches: Sequence[Batch]) -> float:
    """Mean over batches of the Gaussian entropy Σ_j log σ_j of the last decoder layer's output on real tokens."""
    captured: list[torch.Tensor] = []
    last = arch.layers(model)[-1]
    handle = last.register_forward_hook(lambda _m, _a, out: captured.append(_first(out)))
    try:
        values = []
        for batch in batches:
            captured.clear()
            _run(model, batch)
            keep = batch["attention_mask"].bool()
            values.append(gaussian_entropy(captured[-1][keep]))
    finally:
        handle.remove()
    return sum(values) / len(values)


def nose_layers(
    model: nn.Module,
    arch: ArchSpec,
    batches: Sequence[Batch],
    rounds: int,
    candidates: Iterable[int],
    blend_m: float = 0.0,
    input_scale: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> NoseResult:
    """NOSE greedy selection of ``rounds`` layers (entropies memoised per bypassed set: BE of a round is reused)."""
    memo: dict[frozenset[int], float] = {}

    def entropy(bypassed: frozenset[int]) -> float:
        if bypassed not in memo:
            with BypassSet(model, arch, sorted(bypassed), blend_m, input_scale):
                memo[bypassed] = target_entropy(model, arch, batches)
        return memo[bypassed]

    return nose_select(entropy, candidates, rounds, progress)


@torch.no_grad()
def attention_cosine(model: nn.Module, arch: ArchSpec, batches: Sequence[Batch]) -> list[float]:
    """Per layer: mean over real tokens of cos(x, x + branch(x)) for the attention sublayer."""
    layers = arch.layers(model)
    inputs: dict[int, torch.Tensor] = {}
    sums = [0.0] * len(layers)
    count = 0
    keep: torch.Tensor | None = None
    handles = []

    def grab_input(index: int):
        def hook(_module, args, kwargs):
            inputs[index] = args[0] if args else kwargs["hidden_states"]

        return hook

    def score(index: int):
        def hook(_module, _args, output):
            x = inputs.pop(index)
            branch = _first(output)
            cos = torch.nn.functional.cosine_similarity(x[keep].double(), (x + branch)[keep].double(), dim=-1)
            sums[index] += float(cos.sum())

        return hook

    for index, layer in enumerate(layers):
        norm_name = branch_output_norm_name(layer)
        tail = getattr(layer, norm_name) if norm_name else arch.attention(layer)
        handles.append(layer.register_forward_pre_hook(grab_input(index), with_kwargs=True))
        handles.append(tail.register_forward_hook(score(index)))
    try:
        for batch in batches:
            keep = batch["attention_mask"].bool()
            count += int(keep.sum())
            _run(model, batch)
    finally:
        for handle in handles:
            handle.remove()
    return [s / count for s in sums]
