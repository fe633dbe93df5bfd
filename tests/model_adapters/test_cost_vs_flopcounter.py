"""The analytic cost model equals torch's FlopCounterMode (within 0.1 %) for every family and transform."""

from __future__ import annotations

import pytest
import torch
from adapters_support import flop_counter, fresh_model, padded_batch, roles
from torch._subclasses.fake_tensor import FakeTensorMode

from codeeff.model_adapters.measure.execution_log import ExecutionRecorder
from codeeff.model_adapters.measure.flops import CostModel, StepLog
from codeeff.model_adapters.spec import parse_variant
from codeeff.model_adapters.variant import LoadedVariant


def _variants(family: str) -> dict[str, dict]:
    variants = {
        "none": {},
        "fixed": {"early_exit": "fixed:2"},
        "confidence_copy": {"early_exit": "confidence:0.0", "exit_layers": [1, 3]},
        "saturation_freeze": {"early_exit": "saturation:0.2", "exit_layers": [1, 2, 3]},
        "bypass_l0": {"attn_bypass": [0, 2]},
        "blend": {"attn_bypass": [1], "bypass_mode": "blend", "blend_m": 0.5},
        "svd": {"factorize": "svd", "rank": 8, "factorize_targets": roles(family)},
        "svd+exit": {"factorize": "svd", "rank": 8, "factorize_targets": roles(family), "early_exit": "fixed:3"},
    }
    if family != "gemma2":  # recompute refuses sliding-window layers
        variants["recompute"] = {"early_exit": "saturation:0.2", "exit_layers": [1, 2], "kv_mode": "recompute"}
    return variants


def _analytic(variant: LoadedVariant, steps: list[StepLog]) -> int:
    return sum(sum(variant.cost.step_flops(step).values()) for step in steps)


@pytest.mark.parametrize(
    "name",
    ["none", "fixed", "confidence_copy", "saturation_freeze", "bypass_l0", "blend", "svd", "svd+exit", "recompute"],
)
def test_generate_flops_match_flopcounter(family, name):
    variants = _variants(family)
    if name not in variants:
        pytest.skip(f"{name} does not apply to {family}")
    model = fresh_model(family)
    variant = LoadedVariant(model, parse_variant(variants[name]))
    recorder = ExecutionRecorder(model, variant.num_layers, variant.early_exit)
    ids, mask = padded_batch()
    if name == "recompute":  # batch size 1 only; row 1 is the unpadded one
        ids, mask = ids[1:], mask[1:]
    with torch.no_grad(), flop_counter() as counter:
        model.generate(ids, attention_mask=mask, max_new_tokens=5, min_new_tokens=5, do_sample=False, pad_token_id=0)
    steps = recorder.drain()
    assert len(steps) == 5
    counted = counter.get_total_flops()
    analytic = _analytic(variant, steps)
    assert analytic == pytest.approx(counted, rel=1e-3), (name, analytic, counted)
    if name == "confidence_copy":  # every row exits at layer 1: the decode steps reuse the check's logits
        assert all(step.head_reused for step in steps[1:]) and not steps[0].head_reused
    if name == "none":  # the dense-equivalent of the unmodified model is what ran
        dense = sum(variant.dense_cost.dense_step_flops(s, variant.windows) for s in steps)
        assert dense == analytic


def test_scoring_forward_matches_flopcounter_and_fake_tensors(family):
    """One loglikelihood-style forward (all positions' logits), counted on real and on fake tensors."""
    model = fresh_model(family)
    variant = LoadedVariant(model, parse_variant({"early_exit": "fixed:3"}))
    recorder = ExecutionRecorder(model, variant.num_layers, variant.early_exit)
    ids, _ = padded_batch(pad=0)
    with torch.no_grad(), flop_counter() as counter:
        model(ids, use_cache=False)
    step = recorder.drain()[0]
    assert step.head_positions == ids.shape[1] and step.layers_run == [0, 1, 2]
    assert _analytic(variant, [step]) == pytest.approx(counter.get_total_flops(), rel=1e-3)

    recorder.close()
    variant.restore()
    with FakeTensorMode(allow_non_fake_inputs=True) as fake_mode:
        fake_ids = fake_mode.from_tensor(ids)
        with torch.no_grad(), flop_counter() as fake_counter:
            model(fake_ids, use_cache=False)
    dense_model = CostModel(model, variant.arch)
    dense_step = StepLog(batch=2, q_len=ids.shape[1], past_ref=0, past_by_layer=None, head_positions=ids.shape[1])
    assert sum(dense_model.step_flops(dense_step).values()) == pytest.approx(fake_counter.get_total_flops(), rel=1e-3)
