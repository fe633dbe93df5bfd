"""NOSE: greedy attention-layer selection by transfer entropy (Candi, Algorithm 1, §3.2), model-independent part.

Entropy under the Gaussian assumption (eq. 3.4–3.5): a feature set F of N points in R^d has, up to constants,
H(F) = Σ_j log σ(F_j), σ the standard deviation of feature dimension j over the N points.

Algorithm 1, literally: S = ∅, C = all candidates. Each round sets every layer of S to identity, measures the base
entropy BE = H(S) of the target layer, then for each candidate i measures E_i = H(S ∪ {i}) and TE_i = BE − E_i; the
candidate with the smallest TE_i joins S (ties: the lower layer index). N rounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import torch


def gaussian_entropy(features: torch.Tensor) -> float:
    """Σ_j log σ_j of a [N, d] feature matrix (population std over the N rows; constants of eq. 3.4 dropped).

    A dimension with σ = 0 has entropy −∞ under this model; it is clamped to the smallest positive float so one
    constant feature cannot swamp the comparison between candidates.
    """
    if features.dim() != 2 or features.shape[0] < 2:
        raise ValueError("gaussian_entropy needs a [N, d] matrix with N ≥ 2 points")
    std = features.detach().double().std(dim=0, correction=0)
    return float(std.clamp_min(torch.finfo(torch.float64).tiny).log().sum())


@dataclass
class NoseRound:
    """One greedy round: the base entropy, every candidate's transfer entropy, and the pick."""

    base_entropy: float
    transfer_entropy: dict[int, float]
    picked: int


@dataclass
class NoseResult:
    selected: list[int]  # in the order picked
    rounds: list[NoseRound] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "selected": list(self.selected),
            "rounds": [
                {"base_entropy": r.base_entropy, "picked": r.picked, "transfer_entropy": dict(r.transfer_entropy)}
                for r in self.rounds
            ],
        }


def nose_select(
    entropy_with_bypassed: Callable[[frozenset[int]], float],
    candidates: Iterable[int],
    rounds: int,
    progress: Callable[[int], None] | None = None,
) -> NoseResult:
    """Algorithm 1 over ``candidates``; ``entropy_with_bypassed(S)`` is the target entropy with S set to identity.

    ``progress(n)`` is called after each of the ``rounds × |C|`` candidate evaluations (for a tqdm bar).
    """
    pool: list[int] = sorted(set(candidates))
    if not 0 < rounds <= len(pool):
        raise ValueError(f"NOSE needs 1 ≤ N ≤ {len(pool)} rounds (candidate layers), got {rounds}")
    selected: list[int] = []
    result = NoseResult(selected)
    for _ in range(rounds):
        base = entropy_with_bypassed(frozenset(selected))
        transfer: dict[int, float] = {}
        best, best_te = -1, math.inf
        for layer in pool:
            te = base - entropy_with_bypassed(frozenset([*selected, layer]))
            transfer[layer] = te
            if te < best_te:  # strict: the first (lowest) index wins ties, as in Algorithm 1
                best, best_te = layer, te
            if progress is not None:
                progress(1)
        if best < 0:  # every TE was NaN/inf: the model produced non-finite features
            raise RuntimeError("NOSE: no candidate has a finite transfer entropy (non-finite activations?)")
        selected.append(best)
        pool.remove(best)
        result.rounds.append(NoseRound(base, transfer, best))
    return result


def top_similarity(similarity: Sequence[float], count: int, candidates: Iterable[int]) -> list[int]:
    """The ``count`` candidate layers whose attention changes the residual stream least (highest cosine), sorted."""
    pool = sorted(set(candidates))
    if not 0 < count <= len(pool):
        raise ValueError(f"cosine selection needs 1 ≤ N ≤ {len(pool)}, got {count}")
    ranked = sorted(pool, key=lambda i: (-similarity[i], i))
    return sorted(ranked[:count])
