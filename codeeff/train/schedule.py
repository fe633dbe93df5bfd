"""Exit schedules and the LITE loss weights of the early-exit seed (§4.4, eq. 4.3-4.4).

The early-exit seed: Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs"
(TU Wien, 2025).
"""

from __future__ import annotations

from codeeff.model_adapters.early_exit import seed_exit_depths

BUDGET_FIRST_HALF = 0.7
BUDGET_SECOND_HALF = 0.2
BUDGET_FINAL = 0.1
RATIO = 0.9


def parse_exits(value: str, num_layers: int) -> list[int]:
    """``seed`` or a comma/space separated list of depths (layers run before the exit), each in 1..L-1."""
    if value.strip() == "seed":
        depths = seed_exit_depths(num_layers)
        if not depths:
            raise ValueError(f"--exits seed: a {num_layers}-layer model has no exit after layer 4; give a list")
        return depths
    try:
        depths = sorted({int(x) for x in value.replace(",", " ").split()})
    except ValueError:
        raise ValueError(f"--exits: expected 'seed' or a list of integers, got {value!r}") from None
    bad = [d for d in depths if not 1 <= d < num_layers]
    if not depths or bad:
        raise ValueError(f"--exits: depths {bad or depths} out of range 1..{num_layers - 1} for {num_layers} layers")
    return depths


def lite_weights(depths: list[int], num_layers: int, ratio: float = RATIO) -> dict[int, float]:
    """Weight per depth (the final layer ``num_layers`` included): budgets 0.7 / 0.2 / 0.1, geometric within a half.

    Within a half the i-th exit gets ``r**i`` (eq. 4.3), normalised to the half's budget (eq. 4.4): decaying weights,
    the earliest exit the heaviest. A half with no exit passes its budget on to nothing (weights are normalised by
    their sum in the loss anyway, as Σ w_i·L_i / Σ w_i).
    """
    half = num_layers // 2
    groups = (
        ([d for d in depths if d <= half], BUDGET_FIRST_HALF),
        ([d for d in depths if d > half], BUDGET_SECOND_HALF),
    )
    weights: dict[int, float] = {}
    for members, budget in groups:
        ratios = [ratio**i for i in range(len(members))]
        for depth, value in zip(members, ratios, strict=True):
            weights[depth] = value / sum(ratios) * budget
    weights[num_layers] = BUDGET_FINAL
    return weights


def parse_weights(value: str, depths: list[int], num_layers: int) -> dict[int, float]:
    """User weights: one number per exit depth plus one for the final layer, in depth order."""
    try:
        numbers = [float(x) for x in value.replace(",", " ").split()]
    except ValueError:
        raise ValueError(f"--weights: expected numbers, got {value!r}") from None
    targets = [*depths, num_layers]
    if len(numbers) != len(targets):
        raise ValueError(
            f"--weights: {len(targets)} values needed (exits {depths} + final {num_layers}), got {len(numbers)}"
        )
    if any(w < 0 for w in numbers) or sum(numbers) <= 0:
        raise ValueError("--weights: weights must be ≥ 0 with a positive sum")
    return dict(zip(targets, numbers, strict=True))
