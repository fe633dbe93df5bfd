"""Layer selection: NOSE (Gaussian entropy, greedy transfer-entropy rounds) and cosine similarity."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from codeeff.model_adapters import bypass
from codeeff.model_adapters.arch import spec_for_model
from codeeff.model_adapters.bypass.nose import gaussian_entropy, nose_select
from codeeff.model_adapters.bypass.runtime import BypassSet
from codeeff.model_adapters.bypass.selection import attention_cosine, nose_layers
from codeeff.model_adapters.tiny import build_tiny_model
from codeeff.model_adapters.transform import BuildContext

CALIB_TEXTS = [
    "def add(a, b):\n    return a + b\n",
    "for i in range(10):\n    print(i)\n",
    "int add(int a, int b) { return a + b; }\n",
    "function add(a, b) { return a + b; }\n",
]


def test_gaussian_entropy_by_hand():
    # dimension 0: {0, 2} -> σ = 1; dimension 1: {0, 4} -> σ = 2; H = log 1 + log 2
    assert gaussian_entropy(torch.tensor([[0.0, 0.0], [2.0, 4.0]])) == pytest.approx(math.log(2.0))


def test_nose_greedy_rounds_by_hand():
    """Algorithm 1 on a hand-made entropy table: TE_i = H(S) − H(S ∪ {i}); the smallest TE joins S."""
    table = {
        frozenset(): 10.0,
        frozenset({0}): 9.0,  # TE 1
        frozenset({1}): 11.0,  # TE −1  <- round 1
        frozenset({2}): 10.5,  # TE −0.5
        frozenset({0, 1}): 12.0,  # BE 11 -> TE −1  <- round 2
        frozenset({1, 2}): 10.0,  # TE 1
    }
    calls = []
    result = nose_select(lambda s: calls.append(s) or table[s], [2, 0, 1], rounds=2)
    assert result.selected == [1, 0]
    assert result.rounds[0].transfer_entropy == {0: 1.0, 1: -1.0, 2: -0.5}
    assert result.rounds[1].base_entropy == 11.0
    assert result.rounds[1].transfer_entropy == {0: -1.0, 2: 1.0}
    assert len(calls) == 1 + 3 + 1 + 2


def test_nose_ties_go_to_the_lower_layer():
    assert nose_select(lambda s: 0.0, [3, 1, 2], rounds=2).selected == [1, 2]


def _calibration(tokenizer):
    enc = tokenizer(CALIB_TEXTS, return_tensors="pt", padding=True)
    return [
        {"input_ids": enc["input_ids"][i : i + 2], "attention_mask": enc["attention_mask"][i : i + 2]} for i in (0, 2)
    ]


def _entropy_independently(model, arch, batches, bypassed) -> float:
    """Last layer's output via the decoder with its final norm removed, entropy with numpy."""
    decoder = arch.decoder(model)
    norm = decoder.norm
    decoder.norm = nn.Identity()
    values = []
    try:
        with BypassSet(model, arch, sorted(bypassed)), torch.no_grad():
            for b in batches:
                hidden = decoder(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).last_hidden_state
                feats = hidden[b["attention_mask"].bool()].double().numpy()
                values.append(float(np.log(feats.std(axis=0)).sum()))
    finally:
        decoder.norm = norm
    return sum(values) / len(values)


def test_nose_on_a_model_matches_a_direct_computation(tokenizer):
    model = build_tiny_model("llama", vocab_size=len(tokenizer), layers=3)
    arch = spec_for_model(model)
    batches = _calibration(tokenizer)
    result = nose_layers(model, arch, batches, rounds=2, candidates=range(3))
    # the same two greedy rounds, by hand
    base = _entropy_independently(model, arch, batches, set())
    te1 = {i: base - _entropy_independently(model, arch, batches, {i}) for i in range(3)}
    first = min(te1, key=lambda i: (te1[i], i))
    base2 = _entropy_independently(model, arch, batches, {first})
    te2 = {i: base2 - _entropy_independently(model, arch, batches, {first, i}) for i in range(3) if i != first}
    second = min(te2, key=lambda i: (te2[i], i))
    assert result.selected == [first, second]
    assert result.rounds[0].transfer_entropy == pytest.approx(te1, abs=1e-6)
    assert result.rounds[1].transfer_entropy == pytest.approx(te2, abs=1e-6)


def _zero_attention_output(model, arch, layers):
    for i in layers:
        nn.init.zeros_(arch.attention(arch.layers(model)[i]).o_proj.weight)


def test_cosine_ranks_attention_free_layers_first(tokenizer):
    """Layers whose attention output is exactly zero leave x unchanged: cos = 1, so cosine:2 picks them."""
    model = build_tiny_model("llama", vocab_size=len(tokenizer))
    arch = spec_for_model(model)
    _zero_attention_output(model, arch, [1, 3])
    similarity = attention_cosine(model, arch, _calibration(tokenizer))
    assert similarity[1] == pytest.approx(1.0) and similarity[3] == pytest.approx(1.0)
    assert max(similarity[0], similarity[2]) < 1.0 - 1e-6


@pytest.mark.parametrize("selector", ["cosine:2", "nose:1"])
def test_build_selects_from_a_calibration_file(tokenizer, tmp_path, selector):
    model = build_tiny_model("llama", vocab_size=len(tokenizer))
    arch = spec_for_model(model)
    _zero_attention_output(model, arch, [1, 3])
    calib = tmp_path / "calib.jsonl"
    calib.write_text("".join(json.dumps({"text": text}) + "\n" for text in CALIB_TEXTS))
    options = {"attn_bypass": selector, "calib": str(calib), "calib_n": 4}
    transform = bypass.build(options, model, arch, BuildContext(tokenizer=tokenizer, calib=str(calib)))
    described = transform.describe()
    if selector.startswith("cosine"):
        assert transform.layers == [1, 3]
    else:
        assert described["selection"]["nose"]["selected"] == transform.layers and len(transform.layers) == 1
        # bypassing a layer whose attention contributes nothing leaves the target entropy unchanged: TE = 0
        assert described["selection"]["nose"]["rounds"][0]["transfer_entropy"][1] == pytest.approx(0.0, abs=1e-9)
