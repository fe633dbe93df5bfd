"""Helpers shared by the transform tests (imported by module name; pytest puts this folder on sys.path)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch


def run_codeeff(*args, **kwargs):
    """``run_codeeff`` of tests/conftest.py (not importable by name here: this folder has its own conftest)."""
    spec = importlib.util.spec_from_file_location("codeeff_tests_conftest", Path(__file__).parents[2] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run_codeeff(*args, **kwargs)


def logits(model, batch) -> torch.Tensor:
    with torch.no_grad():
        return model(**batch, use_cache=False).logits


def generate(model, batch, use_cache: bool = True, tokens: int = 6) -> torch.Tensor:
    with torch.no_grad():
        return model.generate(**batch, max_new_tokens=tokens, do_sample=False, use_cache=use_cache)


def state_snapshot(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_state(model, snapshot: dict[str, torch.Tensor]) -> None:
    now = model.state_dict()
    assert list(now) == list(snapshot)
    for key, value in snapshot.items():
        assert torch.equal(now[key], value), key


def roles_of(family: str) -> tuple[str, ...]:
    return ("q", "k", "v", "o", "fc1", "fc2") if family == "opt" else ("q", "k", "v", "o", "gate", "up", "down")
