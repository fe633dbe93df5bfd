"""Helpers for the adapter tests: tiny models of every family, variants, and FlopCounterMode with CPU SDPA mapped."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from codeeff.model_adapters.tiny import FAMILIES, build_tiny_model, save_tiny_model

# One intra-op thread per test process: under `pytest -n 2` on two cores, torch's default threads per worker
# oversubscribe the CPU and tiny matmuls spend most of their time spinning (measured: 10x the CPU time).
torch.set_num_threads(1)
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

ALL_ROLES = {"opt": ["q", "k", "v", "o", "fc1", "fc2"]}
DEFAULT_ROLES = ["q", "k", "v", "o", "gate", "up", "down"]


def roles(family: str) -> list[str]:
    return ALL_ROLES.get(family, DEFAULT_ROLES)


def _sdpa_cpu_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    """QK^T + AV of CPU SDPA, counted like FlopCounterMode counts the CUDA SDPA kernels (causal mask ignored)."""
    batch, heads, q_len, head_dim = query_shape
    return 4 * batch * heads * q_len * key_shape[-2] * head_dim


def flop_counter() -> FlopCounterMode:
    """FlopCounterMode with the CPU flash-SDPA op mapped (the stock registry misses it)."""
    op = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu
    return FlopCounterMode(display=False, custom_mapping={op: _sdpa_cpu_flops})


def padded_batch(seed: int = 0, batch: int = 2, length: int = 9, pad: int = 3):
    """Left-padded token batch (row 0 padded by ``pad`` tokens) with its attention mask."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, 300, (batch, length), generator=gen)
    mask = torch.ones_like(ids)
    mask[0, :pad] = 0
    ids[0, :pad] = 0
    return ids, mask


@pytest.fixture(params=FAMILIES)
def family(request) -> str:
    return request.param


_BASE_MODELS: dict[str, torch.nn.Module] = {}


def fresh_model(family: str) -> torch.nn.Module:
    """A private copy of the family's tiny model (built once per worker; transforms mutate their copy only)."""
    if family not in _BASE_MODELS:
        _BASE_MODELS[family] = build_tiny_model(family)
    return copy.deepcopy(_BASE_MODELS[family])


@pytest.fixture
def tiny(family):
    return fresh_model(family)


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory):
    """family -> saved tiny model folder (built lazily, once per session)."""
    cache: dict[str, object] = {}

    def get(family: str):
        if family not in cache:
            cache[family] = save_tiny_model(tmp_path_factory.mktemp(f"tiny-{family}"), family)
        return cache[family]

    return get


def logits_of(model: torch.nn.Module, ids: torch.Tensor, **kw) -> torch.Tensor:
    with torch.no_grad():
        return model(ids, use_cache=False, **kw).logits


def truncated_logits(model: torch.nn.Module, ids: torch.Tensor, k: int) -> torch.Tensor:
    """The model with its layer list cut to the first k layers (restored afterwards)."""
    from codeeff.model_adapters.arch import spec_for_model

    decoder = spec_for_model(model).decoder(model)
    full = decoder.layers
    decoder.layers = torch.nn.ModuleList(list(full)[:k])
    try:
        return logits_of(model, ids)
    finally:
        decoder.layers = full
