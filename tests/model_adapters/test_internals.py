"""The cache path really runs on the installed transformers, and a renamed internal fails closed.

These tests would catch transformers renaming the cache keyword again (5.25 renamed ``past_key_values`` to
``cache``): K/V are written for the layers early exit skips, every layer's cache has the same length, a left-padded
batch with the reference layer bypassed decodes like its rows one by one, and a layer call that lost its cache raises.
"""

from __future__ import annotations

import pytest
import torch
from adapters_support import fresh_model, padded_batch

from codeeff.model_adapters import hf_internals
from codeeff.model_adapters.arch import spec_for_model
from codeeff.model_adapters.hf_internals import TransformersInternalsError, entry_cache_kwarg, output_cache
from codeeff.model_adapters.spec import parse_variant
from codeeff.model_adapters.variant import LoadedVariant

GEN = dict(max_new_tokens=4, min_new_tokens=4, do_sample=False, pad_token_id=0, return_dict_in_generate=True)


def _generate(model, ids, mask, **kw):
    with torch.no_grad():
        return model.generate(ids, attention_mask=mask, **{**GEN, **kw})


def test_copy_fill_writes_kv_for_every_skipped_layer(family):
    """A prompt and decode steps that exit after layer 1: every deeper layer's cache grows with every token."""
    model = fresh_model(family)
    n = len(spec_for_model(model).layers(model))
    ids, mask = padded_batch()
    variant = LoadedVariant(model, parse_variant({"early_exit": "confidence:0", "exit_layers": [1]}))
    from codeeff.model_adapters.measure.execution_log import ExecutionRecorder

    recorder = ExecutionRecorder(model, n, variant.early_exit)
    out = _generate(model, ids, mask)
    steps = recorder.drain()
    variant.restore()
    lengths = [layer.keys.shape[-2] for layer in output_cache(out).layers]
    assert lengths == [ids.shape[1] + GEN["max_new_tokens"] - 1] * n  # equal across layers, nothing missing
    assert steps[0].layers_run == list(range(n))  # the prompt runs full depth
    for step in steps[1:]:
        assert step.layers_run == [0] and step.kv_filled == list(range(1, n))  # K/V written for skipped layers
        assert step.past_by_layer == [step.past_ref] * n  # cache lengths equal before every step


def test_copy_fill_kv_equal_the_layers_projection_of_the_exit_state():
    """The K/V early exit wrote for a skipped layer are that layer's K/V projection of the exit hidden state."""
    model = fresh_model("qwen3")  # k_norm + RoPE
    arch = spec_for_model(model)
    ids, mask = padded_batch(pad=0)
    exit_states = []
    layer0 = arch.layers(model)[0]
    handle = layer0.register_forward_hook(lambda _m, _a, out: exit_states.append(out[:, -1:].clone()))
    variant = LoadedVariant(model, parse_variant({"early_exit": "confidence:0", "exit_layers": [1]}))
    out = _generate(model, ids, mask, max_new_tokens=2, min_new_tokens=2)
    handle.remove()
    cache = output_cache(out)
    position = ids.shape[1]  # the first generated token, which exited after layer 0
    rope = arch.decoder(model).rotary_emb(exit_states[1], torch.tensor([[position]]))
    for j in range(1, len(arch.layers(model))):
        keys, values = arch.kv_project(arch.layers(model)[j], exit_states[1], {"position_embeddings": rope})
        torch.testing.assert_close(cache.layers[j].keys[:, :, position : position + 1], keys, rtol=0, atol=1e-6)
        torch.testing.assert_close(cache.layers[j].values[:, :, position : position + 1], values, rtol=0, atol=1e-6)
    variant.restore()


@pytest.mark.parametrize("mode", ["identity", "seed2x"])
def test_bypassed_reference_layer_left_padded_batch_equals_rows_alone(family, mode):
    """Layer 0 (the mask/position reference) bypassed: batch of 4 left-padded rows == each row at batch size 1."""
    model = fresh_model(family)
    gen = torch.Generator().manual_seed(1)
    lengths = [9, 6, 4, 8]
    width = max(lengths)
    ids = torch.zeros(len(lengths), width, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, length in enumerate(lengths):
        ids[row, width - length :] = torch.randint(3, 300, (length,), generator=gen)
        mask[row, width - length :] = 1
    variant = LoadedVariant(model, parse_variant({"attn_bypass": [0, 2], "bypass_mode": mode}))
    batched = _generate(model, ids, mask, output_logits=True)
    for row, length in enumerate(lengths):
        alone = _generate(model, ids[row : row + 1, width - length :], mask[row : row + 1, width - length :],
                          output_logits=True)  # fmt: skip
        assert torch.equal(alone.sequences[0, length:], batched.sequences[row, width:]), row
        for step_alone, step_batched in zip(alone.logits, batched.logits, strict=True):
            torch.testing.assert_close(step_alone[0], step_batched[row], rtol=1e-4, atol=1e-5)
    variant.restore()


def _rename_cache_keyword(module, args, kwargs):
    """A forward pre-hook standing in for a future transformers that renames the cache keyword again."""
    for name in hf_internals.CACHE_KWARGS:
        if name in kwargs:
            kwargs["kv_store"] = kwargs.pop(name)
    return args, kwargs


def test_early_exit_fails_closed_when_layers_lose_the_cache_keyword():
    model = fresh_model("llama")
    ids, mask = padded_batch()
    variant = LoadedVariant(model, parse_variant({"early_exit": "confidence:0", "exit_layers": [1]}))
    layer = spec_for_model(model).layers(model)[2]
    handle = layer.register_forward_pre_hook(_rename_cache_keyword, with_kwargs=True, prepend=True)
    with pytest.raises(TransformersInternalsError, match=r"transformers \d+\.\d+"), torch.no_grad():
        model.generate(ids, attention_mask=mask, max_new_tokens=2, pad_token_id=0)
    handle.remove()
    variant.restore()


def test_bypass_fails_closed_when_attention_loses_the_cache_keyword():
    model = fresh_model("llama")
    ids, mask = padded_batch()
    variant = LoadedVariant(model, parse_variant({"attn_bypass": [0]}))
    attn = variant.arch.attention(variant.arch.layers(model)[0])
    handle = attn.register_forward_pre_hook(_rename_cache_keyword, with_kwargs=True)
    with pytest.raises(TransformersInternalsError, match="without a cache keyword"), torch.no_grad():
        model.generate(ids, attention_mask=mask, max_new_tokens=2, pad_token_id=0)
    handle.remove()
    variant.restore()


def test_signature_probe_names_the_installed_version():
    import transformers

    def forward(hidden_states, kv_store=None, **kwargs):
        return hidden_states

    with pytest.raises(TransformersInternalsError, match=f"transformers {transformers.__version__}"):
        hf_internals.cache_kwarg_of(forward, "FutureDecoderLayer")

    model = fresh_model("opt")
    assert entry_cache_kwarg(model) in hf_internals.CACHE_KWARGS
    arch = spec_for_model(model)  # probes decoder, layers and attention: one keyword for all
    keyword = hf_internals.check_model(model, arch.decoder(model), list(arch.layers(model)), arch.attn_attr)
    assert keyword == entry_cache_kwarg(model)
