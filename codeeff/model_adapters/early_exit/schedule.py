"""Candidate exit depths (``exit_layers``): an explicit list, ``all`` (the default) or the early-exit seed's schedule."""

from __future__ import annotations

from typing import Any

from codeeff.model_adapters.errors import VariantSpecError


def seed_exit_depths(num_layers: int) -> list[int]:
    """The early-exit seed's schedule: first exit after layer 4, every 2nd layer in the first half, every 4th after.

    28 layers -> 4,6,...,14,18,22,26 (9 exits); 32 layers -> 4,...,16,20,24,28 (10 exits), as in the thesis.
    """
    half = num_layers // 2
    depths = list(range(4, half + 1, 2))
    depths += list(range(half + 4, num_layers, 4))
    return [d for d in depths if d < num_layers]


def resolve_exit_depths(value: Any, num_layers: int) -> list[int]:
    """The sorted exit depths (layers run before the check) that ``exit_layers=value`` names for this model."""
    if value in (None, "all"):
        return list(range(1, num_layers))
    if value == "seed":
        depths = seed_exit_depths(num_layers)
        if not depths:
            raise VariantSpecError(
                f"exit_layers=seed: a {num_layers}-layer model has no exit in the seed schedule (first exit after "
                "layer 4); give exit_layers explicitly"
            )
        return depths
    bad = [d for d in value if not 1 <= d < num_layers]
    if bad:
        raise VariantSpecError(
            f"exit_layers: {bad} out of range; exit depths are the number of layers run before the check, "
            f"1..{num_layers - 1} for this {num_layers}-layer model"
        )
    return sorted(set(value))
