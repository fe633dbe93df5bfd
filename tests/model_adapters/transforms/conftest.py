"""Fixtures for the transform tests: tiny random-init models of every family and a left-padded batch."""

from __future__ import annotations

import pytest
import torch

from codeeff.model_adapters.arch import spec_for_model
from codeeff.model_adapters.tiny import FAMILIES, build_tiny_model, build_tokenizer

# Two xdist workers on two cores: one intra-op thread each avoids oversubscription.
torch.set_num_threads(1)

PROMPTS = ["def add(a, b):", "public static int add(int a, int b) { return a + b; } // Python:"]


@pytest.fixture(scope="session")
def tokenizer():
    tok = build_tokenizer()
    tok.padding_side = "left"
    return tok


@pytest.fixture(scope="session")
def batch(tokenizer):
    """Two prompts of different lengths, left-padded (row 0 has padding)."""
    enc = tokenizer(PROMPTS, return_tensors="pt", padding=True)
    assert int(enc["attention_mask"][0].sum()) < enc["attention_mask"].shape[1]
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


@pytest.fixture(params=FAMILIES)
def family(request) -> str:
    return request.param


@pytest.fixture
def model_arch(family, tokenizer):
    model = build_tiny_model(family, vocab_size=len(tokenizer))
    return model, spec_for_model(model)
