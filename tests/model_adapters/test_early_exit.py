"""Early exit: exactness against truncation, no-op identity, exact restore, K/V fill, deferred recompute, policies."""

from __future__ import annotations

import pytest
import torch
from adapters_support import fresh_model, logits_of, padded_batch, roles, truncated_logits
from torch import nn

from codeeff.model_adapters.arch import spec_for_model
from codeeff.model_adapters.early_exit import EarlyExit, seed_exit_depths
from codeeff.model_adapters.early_exit.policies import ExitPolicy, save_exit_mlp
from codeeff.model_adapters.hf_internals import entry_cache_kwarg, output_cache
from codeeff.model_adapters.spec import parse_variant
from codeeff.model_adapters.variant import LoadedVariant


def test_exit_at_k_equals_truncation_equals_head_of_norm(tiny):
    arch = spec_for_model(tiny)
    ids, _ = padded_batch(pad=0)
    k = 2
    with torch.no_grad():
        hidden_k = tiny(ids, use_cache=False, output_hidden_states=True).hidden_states[k]
        head = arch.head_logits(tiny, hidden_k)
    truncated = truncated_logits(tiny, ids, k)
    torch.testing.assert_close(truncated, head, rtol=0, atol=1e-6)

    fixed = LoadedVariant(tiny, parse_variant({"early_exit": f"fixed:{k}"}))
    assert torch.equal(logits_of(tiny, ids), truncated)
    fixed.restore()

    dynamic = LoadedVariant(tiny, parse_variant({"early_exit": "confidence:0", "exit_layers": [k]}))
    assert torch.equal(logits_of(tiny, ids)[:, -1], truncated[:, -1])  # the decision position exits at k
    dynamic.restore()


def test_noop_transforms_are_bit_identical(tiny):
    ids, mask = padded_batch()
    reference = logits_of(tiny, ids, attention_mask=mask)
    gen_kw = dict(attention_mask=mask, max_new_tokens=4, do_sample=False, pad_token_id=0)
    with torch.no_grad():
        reference_gen = tiny.generate(ids, **gen_kw)
    n = len(spec_for_model(tiny).layers(tiny))
    for options in ({}, {"early_exit": f"fixed:{n}"}, {"early_exit": "confidence:1.0", "exit_layers": "all"}):
        variant = LoadedVariant(tiny, parse_variant(options))
        assert torch.equal(logits_of(tiny, ids, attention_mask=mask), reference), options
        with torch.no_grad():
            assert torch.equal(tiny.generate(ids, **gen_kw), reference_gen), options
        variant.restore()


def test_restore_is_exact_for_a_composed_variant(family, tiny):
    ids, mask = padded_batch()
    state = {k: v.clone() for k, v in tiny.state_dict().items()}
    reference = logits_of(tiny, ids, attention_mask=mask)
    options = {
        "factorize": "svd",
        "rank": 4,
        "factorize_targets": roles(family),
        "attn_bypass": [0],
        "early_exit": "saturation:0.1",
        "exit_layers": [1, 2],
    }
    variant = LoadedVariant(tiny, parse_variant(options))
    with torch.no_grad():
        tiny.generate(ids, attention_mask=mask, max_new_tokens=3, do_sample=False, pad_token_id=0)
    assert not torch.equal(logits_of(tiny, ids, attention_mask=mask), reference)
    variant.restore()
    restored = tiny.state_dict()
    assert restored.keys() == state.keys()
    assert all(torch.equal(restored[k], state[k]) for k in state)
    assert torch.equal(logits_of(tiny, ids, attention_mask=mask), reference)
    variant.reapply()  # the same stack serves the variant again
    assert not torch.equal(logits_of(tiny, ids, attention_mask=mask), reference)
    variant.restore()


def test_copy_fill_keeps_cache_lengths_equal_and_matches_a_real_forward(tiny):
    arch = spec_for_model(tiny)
    ids, mask = padded_batch()
    variant = LoadedVariant(tiny, parse_variant({"early_exit": "confidence:0", "exit_layers": [1]}))
    with torch.no_grad():
        out = tiny.generate(
            ids, attention_mask=mask, max_new_tokens=4, min_new_tokens=4, do_sample=False, pad_token_id=0,
            return_dict_in_generate=True,
        )  # fmt: skip
    lengths = {layer.keys.shape[-2] for layer in output_cache(out).layers}
    assert lengths == {ids.shape[1] + 3}
    variant.restore()

    # The copy-fill projection of a layer equals the K/V that layer's own forward caches for the same input.
    from transformers import DynamicCache

    cache = DynamicCache(config=tiny.config)
    with torch.no_grad():
        full = tiny(
            ids, attention_mask=mask, use_cache=True, output_hidden_states=True, **{entry_cache_kwarg(tiny): cache}
        )
        kwargs = {}
        if arch.rope:
            positions = torch.arange(ids.shape[1])[None]
            kwargs["position_embeddings"] = arch.decoder(tiny).rotary_emb(full.hidden_states[0], positions)
        for j, layer in enumerate(arch.layers(tiny)):
            keys, values = arch.kv_project(layer, full.hidden_states[j], kwargs)
            torch.testing.assert_close(keys, cache.layers[j].keys, rtol=0, atol=1e-6)
            torch.testing.assert_close(values, cache.layers[j].values, rtol=0, atol=1e-6)


class _Scripted(ExitPolicy):
    """Exits every row when ``self.exit_now`` is set (the test decides per step)."""

    kind = "scripted"

    def __init__(self):
        super().__init__(0.5)
        self.exit_now = False

    def decide(self, h, prev, model, arch):
        return torch.full((h.shape[0],), self.exit_now, dtype=torch.bool)


def _drive_recompute(model, reference_model, schedule: list[bool], length: int = 7) -> None:
    """Step a batch-1 sequence through ``model`` (deferred recompute, scripted exits after layers 1 or 2); at every
    full-depth step the logits equal ``reference_model`` over the whole prefix without a cache, and every layer's
    cache has caught up."""
    arch = spec_for_model(model)
    ids, _ = padded_batch(batch=1, length=length, pad=0)
    policy = _Scripted()
    ee = EarlyExit(arch, policy, [1, 2], kv_mode="recompute")
    ee.apply(model)
    from transformers import DynamicCache

    cache = DynamicCache(config=model.config)
    key = entry_cache_kwarg(model)
    tokens = step_ids = ids
    try:
        with torch.no_grad():
            for step, exit_now in enumerate(schedule):  # step 0 is the prompt
                policy.exit_now = exit_now
                out = model(step_ids, use_cache=True, **{key: cache})
                if exit_now:
                    assert int(ee.last_step.depth[0]) == 1, f"step {step} did not exit"
                else:  # a full-depth step: equal to the unmodified model over the whole prefix, uncached
                    ref = reference_model(tokens, use_cache=False).logits[:, -1]
                    torch.testing.assert_close(out.logits[:, -1], ref, rtol=1e-5, atol=1e-5)
                    assert len({layer.keys.shape[-2] for layer in cache.layers}) == 1  # every layer caught up
                nxt = out.logits[:, -1].argmax(-1, keepdim=True)
                tokens = torch.cat([tokens, nxt], dim=1)
                step_ids = nxt
    finally:
        ee.restore()


RECOMPUTE_SCHEDULES = {
    "decode_exits": [False, True, True, False, True, False],
    "prompt_exits": [True, False, True, True, False],  # the prompt's last position exits
}


@pytest.mark.parametrize("schedule", RECOMPUTE_SCHEDULES)
@pytest.mark.parametrize("family", ["llama", "qwen3", "opt"])
def test_deferred_recompute_is_exact_at_the_next_full_depth_step(family, schedule):
    _drive_recompute(fresh_model(family), fresh_model(family), RECOMPUTE_SCHEDULES[schedule])


@pytest.mark.parametrize("mode", [(0.5, 1.7), (0.0, 2.0)])  # blend, and Candi's 2x (attention not computed)
def test_deferred_recompute_runs_queued_tokens_through_a_blended_layer(mode):
    """Queued tokens pass the layer's module call, so attention bypass's residual tap sees them."""
    from codeeff.model_adapters.bypass.runtime import BypassSet

    model, reference = fresh_model("llama"), fresh_model("llama")
    arch = spec_for_model(model)
    with BypassSet(model, arch, [2, 3], *mode), BypassSet(reference, arch, [2, 3], *mode):
        _drive_recompute(model, reference, RECOMPUTE_SCHEDULES["prompt_exits"])


def test_recompute_refuses_a_batch_with_a_cache():
    model = fresh_model("llama")
    ids, mask = padded_batch(batch=2)
    variant = LoadedVariant(model, parse_variant({"early_exit": "confidence:0.5", "kv_mode": "recompute"}))
    with pytest.raises(RuntimeError, match="batch size 1 only"), torch.no_grad():
        model.generate(ids, attention_mask=mask, max_new_tokens=2, pad_token_id=0)
    with torch.no_grad():
        model.generate(ids[:1], attention_mask=mask[:1], max_new_tokens=2, pad_token_id=0)
    variant.restore()


def test_kv_mode_none_refuses_a_cache(tiny):
    ids, mask = padded_batch()
    variant = LoadedVariant(tiny, parse_variant({"early_exit": "confidence:0.5", "kv_mode": "none"}))
    with pytest.raises(RuntimeError, match="kv_mode=none"), torch.no_grad():
        tiny.generate(ids, attention_mask=mask, max_new_tokens=2, pad_token_id=0)
    with torch.no_grad():
        tiny.generate(ids, attention_mask=mask, max_new_tokens=2, pad_token_id=0, use_cache=False)
    variant.restore()


def _sb3_policy_state(hidden: int, exit_bias: float) -> dict[str, torch.Tensor]:
    """A state_dict laid out like SB3's PPO MlpPolicy (2x64 tanh actor, 2-way action head, critic ignored)."""
    gen = torch.Generator().manual_seed(0)
    return {
        "mlp_extractor.policy_net.0.weight": torch.randn(64, hidden, generator=gen) * 0.01,
        "mlp_extractor.policy_net.0.bias": torch.zeros(64),
        "mlp_extractor.policy_net.2.weight": torch.randn(64, 64, generator=gen) * 0.01,
        "mlp_extractor.policy_net.2.bias": torch.zeros(64),
        "mlp_extractor.value_net.0.weight": torch.randn(64, hidden, generator=gen),
        "action_net.weight": torch.zeros(2, 64),
        "action_net.bias": torch.tensor([0.0, exit_bias]),
        "value_net.weight": torch.zeros(1, 64),
    }


def test_rl_policy_and_classifier_files(tmp_path):
    model = fresh_model("llama")
    ids, _ = padded_batch(pad=0)
    hidden = model.config.hidden_size
    eager = tmp_path / "eager.pt"
    torch.save(_sb3_policy_state(hidden, exit_bias=8.0), eager)
    variant = LoadedVariant(model, parse_variant({"early_exit": f"policy:{eager}:0.9", "exit_layers": [2, 3]}))
    assert torch.equal(logits_of(model, ids)[:, -1], truncated_logits(model, ids, 2)[:, -1])
    variant.restore()

    never = tmp_path / "never.pt"
    save_exit_mlp(never, nn.Sequential(nn.Linear(hidden, 8), nn.ReLU(), nn.Linear(8, 1)), activation="relu")
    state = torch.load(never, weights_only=True)
    state["biases"][-1] = torch.tensor([-20.0])
    torch.save(state, never)
    reference = logits_of(model, ids)
    variant = LoadedVariant(model, parse_variant({"early_exit": f"classifier:{never}", "exit_layers": "all"}))
    assert torch.equal(logits_of(model, ids), reference)
    variant.restore()


def test_simulated_loglikelihood_exits_per_position():
    model = fresh_model("qwen2")
    ids, _ = padded_batch(pad=0)
    variant = LoadedVariant(model, parse_variant({"early_exit": "confidence:0", "exit_layers": [2, 3]}))
    logits, depth = variant.early_exit.simulate_logits(ids)
    assert variant.early_exit.simulated_reprojected == 0  # the confidence check's logits are the exit logits
    variant.restore()
    assert torch.equal(depth, torch.full_like(depth, 2))
    torch.testing.assert_close(logits, truncated_logits(model, ids, 2), rtol=0, atol=1e-6)
    variant = LoadedVariant(model, parse_variant({"early_exit": "saturation:-1", "exit_layers": [2, 3]}))
    logits, depth = variant.early_exit.simulate_logits(ids)
    variant.restore()
    assert variant.early_exit.simulated_reprojected == depth.numel()  # no logits to reuse: projected once per exit
    torch.testing.assert_close(logits, truncated_logits(model, ids, 2), rtol=0, atol=1e-6)


def test_seed_exit_schedule_matches_the_thesis():
    assert seed_exit_depths(28) == [4, 6, 8, 10, 12, 14, 18, 22, 26]  # 9 exits (Llama-3.2-3B)
    assert seed_exit_depths(32) == [4, 6, 8, 10, 12, 14, 16, 20, 24, 28]  # 10 exits (OPT-2.7B)


@pytest.mark.parametrize("measure", ["top1", "margin"])
def test_confidence_score_equals_softmax_top_probabilities(measure):
    """The logsumexp score is the softmax's top-1 probability (or top1 - top2 margin), including peaked rows."""
    from codeeff.model_adapters.early_exit.policies import ConfidencePolicy

    logits = torch.randn(5, 1000) * torch.tensor([[0.1], [1.0], [5.0], [30.0], [200.0]])
    probs = torch.softmax(logits, dim=-1).topk(2, dim=-1).values
    expected = probs[:, 0] - probs[:, 1] if measure == "margin" else probs[:, 0]
    torch.testing.assert_close(ConfidencePolicy(0.9, measure).score(logits), expected, rtol=1e-5, atol=1e-6)
