"""Confidence over an exit vocabulary (``confidence_vocab``): the decision uses the restricted softmax, the emitted
logits are the full head's, a check costs the head rows it projects, and the file is checked and hashed."""

from __future__ import annotations

import json

import pytest
import torch
from adapters_support import fresh_model, logits_of, padded_batch, truncated_logits
from torch import nn

from codeeff.model_adapters.arch import spec_for_model
from codeeff.model_adapters.early_exit.exit_vocab import save_exit_vocab
from codeeff.model_adapters.early_exit.policies import ConfidencePolicy
from codeeff.model_adapters.errors import VariantSpecError
from codeeff.model_adapters.spec import parse_variant, validate_against_config
from codeeff.model_adapters.variant import LoadedVariant

TOKENS = [5, 17, 40, 41, 99, 120, 200, 201, 250, 299]


@pytest.fixture
def vocab_file(tmp_path):
    return save_exit_vocab(tmp_path / "exit_vocab.json", TOKENS, counts=[1] * len(TOKENS))


def test_the_decision_is_the_softmax_over_the_vocabulary():
    model = fresh_model("llama")
    arch = spec_for_model(model)
    h = torch.randn(6, model.config.hidden_size, generator=torch.Generator().manual_seed(0)) * 4
    with torch.no_grad():
        expected = torch.softmax(arch.head_logits(model, h)[:, TOKENS].float(), -1).amax(-1)
        threshold = float(expected.median())
        decided = ConfidencePolicy(threshold, vocab=torch.tensor(TOKENS)).decide(h, h, model, arch)
    assert torch.equal(decided, expected >= threshold) and decided.any() and not decided.all()
    policy = ConfidencePolicy(threshold, vocab=torch.tensor(TOKENS))
    policy.decide(h, h, model, arch)
    assert policy.last_head_logits is None  # restricted logits are never reused as the exit's output


def test_an_exit_emits_the_full_head_and_a_check_costs_its_rows(vocab_file):
    model = fresh_model("llama")
    ids, _ = padded_batch(pad=0)
    reference = logits_of(model, ids)
    spec = {"early_exit": "confidence:0", "confidence_vocab": str(vocab_file), "exit_layers": [2, 3]}
    variant = LoadedVariant(model, parse_variant(spec))
    try:  # T = 0: every row exits at depth 2, with the full-vocabulary logits of depth 2
        torch.testing.assert_close(
            logits_of(model, ids)[:, -1], truncated_logits(model, ids, 2)[:, -1], rtol=0, atol=1e-6
        )
        assert variant.early_exit.check_flops_per_row == 2 * model.config.hidden_size * len(TOKENS)
        logits, depth = variant.early_exit.simulate_logits(ids)
        assert variant.early_exit.simulated_reprojected == depth.numel()  # the exits' full head, projected once each
        torch.testing.assert_close(logits, truncated_logits(model, ids, 2), rtol=0, atol=1e-6)
    finally:
        variant.restore()
    variant = LoadedVariant(model, parse_variant({**spec, "early_exit": "confidence:1"}))
    try:  # a softmax over 10 tokens of a random model never reaches 1: nothing exits
        torch.testing.assert_close(logits_of(model, ids), reference, rtol=0, atol=0)
    finally:
        variant.restore()


def test_the_file_enters_the_hash_by_content(tmp_path, vocab_file):
    spec = {"early_exit": "confidence:0.7", "confidence_vocab": str(vocab_file)}
    copy = tmp_path / "elsewhere.json"
    copy.write_bytes(vocab_file.read_bytes())
    other = save_exit_vocab(tmp_path / "other.json", TOKENS[:-1])
    same = parse_variant({**spec, "confidence_vocab": str(copy)})
    assert parse_variant(spec).hash == same.hash
    assert parse_variant({**spec, "confidence_vocab": str(other)}).hash != same.hash
    assert parse_variant({"early_exit": "confidence:0.7"}).hash != same.hash


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"format": "codeeff.exit_vocab/1", "token_ids": [1, 1]}, "duplicates"),
        ({"format": "codeeff.exit_vocab/1", "token_ids": [3, 100000]}, "outside the model's vocabulary"),
        ({"format": "codeeff.exit_vocab/1", "token_ids": []}, "non-empty"),
        ({"token_ids": [1, 2]}, "not a codeeff.exit_vocab/1 file"),
    ],
)
def test_a_bad_file_is_one_error_before_the_weights_load(tmp_path, content, message):
    from codeeff.model_adapters.tiny import build_config

    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    spec = parse_variant({"early_exit": "confidence:0.7", "confidence_vocab": str(path)})
    with pytest.raises(VariantSpecError, match=message):
        validate_against_config(spec, build_config("llama"))


def test_the_vocabulary_applies_to_confidence_only(tmp_path, vocab_file):
    from codeeff.model_adapters.early_exit.policies import save_exit_mlp
    from codeeff.model_adapters.tiny import build_config

    mlp = save_exit_mlp(tmp_path / "c.pt", nn.Sequential(nn.Linear(64, 1)))
    spec = parse_variant({"early_exit": f"classifier:{mlp}:0.5", "confidence_vocab": str(vocab_file)})
    with pytest.raises(VariantSpecError, match="confidence_vocab applies to early_exit=confidence:T only"):
        validate_against_config(spec, build_config("llama"))
