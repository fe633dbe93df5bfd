"""attn_bypass: exactness of the no-op and of restore(), cache correctness with layer 0 bypassed, cost-model hooks."""

from __future__ import annotations

import pytest
import torch
from transforms_helpers import assert_same_state, generate, logits, state_snapshot

from codeeff.model_adapters import bypass
from codeeff.model_adapters.bypass.runtime import BypassSet, SkippedAttention
from codeeff.model_adapters.spec import VariantSpecError
from codeeff.model_adapters.tiny import build_config
from codeeff.model_adapters.transform import attention_has_core

MODES = {  # name -> (blend_m, input_scale)
    "identity": (0.0, 1.0),
    "degenerate_2x": (0.0, 2.0),  # Candi's fully faded attention: f = 2x
    "blend": (0.5, 1.7),
}


def test_noop_blend_is_bit_identical(model_arch, batch):
    """M = 1, s = 2 is the unmodified block: logits and greedy generations are bit-identical."""
    model, arch = model_arch
    base_logits, base_gen = logits(model, batch), generate(model, batch)
    with BypassSet(model, arch, list(range(len(arch.layers(model)))), blend_m=1.0, input_scale=2.0):
        assert torch.equal(logits(model, batch), base_logits)
        assert torch.equal(generate(model, batch), base_gen)


@pytest.mark.parametrize("mode", MODES)
def test_cached_equals_uncached_with_layer0_bypassed(model_arch, batch, mode):
    """Left-padded batch, the mask/position reference layer (0) bypassed: the KV cache must not change outputs."""
    model, arch = model_arch
    with BypassSet(model, arch, [0, 2], *MODES[mode]):
        cached, uncached = generate(model, batch, use_cache=True), generate(model, batch, use_cache=False)
        changed = logits(model, batch)
    assert torch.equal(cached, uncached)
    assert not torch.equal(changed, logits(model, batch))  # the bypass really changed the model


@pytest.mark.parametrize("mode", MODES)
def test_restore_is_exact(model_arch, batch, mode):
    model, arch = model_arch
    snapshot, base = state_snapshot(model), logits(model, batch)
    transform = bypass.BypassTransform(arch, [0, 3], mode, *MODES[mode], selection={})
    for _ in range(2):  # one model serves baseline and variant repeatedly
        transform.apply(model)
        generate(model, batch)
        transform.restore()
        assert_same_state(model, snapshot)
        assert torch.equal(logits(model, batch), base)


def test_identity_mode_drops_attention_from_parameters(model_arch):
    """A bypassed attention costs nothing: its weights leave parameters(), its module reports no attention core."""
    model, arch = model_arch
    layer = arch.layers(model)[1]
    attn_params = sum(p.numel() for p in arch.attention(layer).parameters())
    before = sum(p.numel() for p in model.parameters())
    with BypassSet(model, arch, [1]):
        replaced = arch.attention(layer)
        assert isinstance(replaced, SkippedAttention) and not attention_has_core(replaced)
        dropped = before - sum(p.numel() for p in model.parameters())
    # Gemma2 also drops the norm on the attention output (it no longer runs)
    extra = layer.post_attention_layernorm.weight.numel() if hasattr(layer, "pre_feedforward_layernorm") else 0
    assert dropped == attn_params + extra


def test_blend_matches_formula_on_the_branch(tokenizer, batch):
    """f = M·branch(x) + (s − M)·x, checked on layer 0's residual stream of a tiny Llama."""
    from codeeff.model_adapters.arch import spec_for_model
    from codeeff.model_adapters.tiny import build_tiny_model

    model = build_tiny_model("llama", vocab_size=len(tokenizer))
    arch = spec_for_model(model)
    seen = {}
    layer0 = arch.layers(model)[0]
    hooks = [
        layer0.register_forward_pre_hook(
            lambda _m, a, k: seen.__setitem__("x", a[0] if a else k["hidden_states"]), with_kwargs=True
        ),
        layer0.self_attn.register_forward_hook(lambda _m, _a, out: seen.__setitem__("attn", out[0])),
        layer0.post_attention_layernorm.register_forward_pre_hook(lambda _m, a: seen.__setitem__("after", a[0])),
    ]
    logits(model, batch)
    x, branch = seen["x"], seen["attn"]
    with BypassSet(model, arch, [0], blend_m=0.3, input_scale=1.7):
        logits(model, batch)
    for hook in hooks:
        hook.remove()
    torch.testing.assert_close(seen["after"], 0.3 * branch + (1.7 - 0.3) * x)


def test_validate_rejects_bad_args():
    from codeeff.model_adapters.arch import spec_for_config

    config = build_config("llama")
    arch = spec_for_config(config)
    cases = [
        ({"attn_bypass": [0, 4]}, "out of range"),
        ({"attn_bypass": [1, 1]}, "duplicate"),
        ({"attn_bypass": "nose:2"}, "calib"),
        ({"attn_bypass": "cosine:9", "calib": "x.txt"}, "1 ≤ N ≤ 4"),
        ({"attn_bypass": [1], "blend_m": 0.5}, "bypass_mode=blend"),
    ]
    for options, message in cases:
        with pytest.raises(VariantSpecError, match=message):
            bypass.validate(options, config, arch)


@pytest.mark.slow
@pytest.mark.parametrize(
    "options", [{"attn_bypass": [0, 2]}, {"factorize": "svd", "rank": 4, "factorize_targets": ["q"]}]
)
def test_released_originals_leave_memory_and_restore_refuses(model_arch, options):
    """With the dense originals released, the replaced modules are garbage (memory to load shows the savings)."""
    import gc
    import weakref

    from codeeff.model_adapters.spec import parse_variant
    from codeeff.model_adapters.variant import LoadedVariant

    model, arch = model_arch
    layer = arch.layers(model)[0]
    original = weakref.ref(arch.attention(layer) if "attn_bypass" in options else layer.self_attn.q_proj)
    before = LoadedVariant(model, parse_variant({})).resident_bytes()
    variant = LoadedVariant(model, parse_variant(options))
    assert variant.release_originals()
    gc.collect()
    assert original() is None  # nothing holds the replaced module any more
    assert variant.resident_bytes() < before
    with pytest.raises(RuntimeError, match="keep_dense=true"):
        variant.restore()
