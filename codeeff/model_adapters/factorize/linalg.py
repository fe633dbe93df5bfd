"""The matrix math of the factorization methods, on plain tensors (no model, no modules).

Conventions: a Linear computes ``y = x @ W.T`` with ``W`` of shape ``[m, n]`` (``m`` = out features, ``n`` = in
features). A factorization ``W ≈ up @ down`` has ``down`` of shape ``[r, n]`` (applied first, in → r) and ``up`` of
shape ``[m, r]`` (r → out), so it runs as two Linears. In GlobaL Fact's notation (Simionato §6.2, eq. 6.3)
``W_j ≈ L_j · G``: ``down`` is the shared global ``G`` and ``up`` the local ``L_j``.

All decompositions run in float64 (one SVD per matrix is cheap next to evaluating a model, and float32 SVD would put
its own error into the SSE/RSSE figures), and results come back in the input dtype.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ApproximationErrors:
    """Simionato eq. 7.4–7.5 over the N approximated matrices of one group (or of a whole variant)."""

    sse_avg: float  # (1/N) Σ ||W_i − W̃_i||_F²
    rsse_avg: float  # (1/N) Σ ||W_i − W̃_i||_F² / ||W_i||_F²
    count: int  # N


def approximation_errors(
    originals: Sequence[torch.Tensor], approximations: Sequence[torch.Tensor]
) -> ApproximationErrors:
    """SSE_avg and RSSE_avg (eq. 7.4–7.5), accumulated in float64."""
    if len(originals) != len(approximations) or not originals:
        raise ValueError("approximation_errors needs the same non-zero number of originals and approximations")
    sse, rsse = [], []
    for original, approx in zip(originals, approximations, strict=True):
        w = original.detach().double()
        err = float((w - approx.detach().double()).pow(2).sum())
        norm = float(w.pow(2).sum())
        sse.append(err)
        rsse.append(err / norm if norm > 0 else (0.0 if err == 0 else math.inf))
    return ApproximationErrors(sum(sse) / len(sse), sum(rsse) / len(rsse), len(sse))


def merge_errors(parts: Sequence[ApproximationErrors]) -> ApproximationErrors | None:
    """Combine per-group errors into one average over all matrices (weights = group sizes)."""
    total = sum(p.count for p in parts)
    if total == 0:
        return None
    return ApproximationErrors(
        sum(p.sse_avg * p.count for p in parts) / total, sum(p.rsse_avg * p.count for p in parts) / total, total
    )


def rank_for_param_ratio(out_features: int, in_features: int, ratio: float) -> int:
    """The rank whose two factors hold ``ratio`` × the dense matrix's parameters: r = ⌊ratio·m·n / (m+n)⌋ (≥ 1)."""
    if not 0 < ratio:
        raise ValueError(f"parameter ratio must be > 0, got {ratio}")
    return max(1, int(ratio * out_features * in_features / (out_features + in_features)))


def truncated_svd(
    weight: torch.Tensor, rank: int, input_scale: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Best rank-r factors ``(up [m,r], down [r,n])`` of ``weight`` (Eckart–Young), optionally activation-aware.

    With ``input_scale`` s (a positive per-input-channel vector, ASVD), the SVD is taken of ``W·diag(s)`` and the
    scaling is undone on ``down``: channels that carry large activations get approximated more faithfully, so the
    error on typical inputs (not on the weights) is what shrinks. √Σ goes to both factors to balance their norms.
    """
    m, n = weight.shape
    _check_rank(rank, m, n)
    w = weight.detach().double()
    if input_scale is not None:
        scale = input_scale.detach().double().to(w.device)
        if scale.shape != (n,) or not bool((scale > 0).all()):
            raise ValueError(f"input_scale must be a positive vector of length {n}")
        w = w * scale
    u, s, vh = torch.linalg.svd(w, full_matrices=False)
    root = s[:rank].sqrt()
    up = u[:, :rank] * root
    down = root[:, None] * vh[:rank]
    if input_scale is not None:
        down = down / scale
    return up.to(weight.dtype), down.to(weight.dtype)


def global_factor(weights: Sequence[torch.Tensor], rank: int, method: int) -> torch.Tensor:
    """The shared global factor G ∈ R^{r×n} of a group (Simionato §6.2.3), 1 ≤ r ≤ n.

    method 1: the top-r right singular vectors of the sum (equivalently the average) of the group (eq. 6.5).
    method 2: the average over the group of each matrix's top-r right singular vectors (eq. 6.6). The thesis writes a
    sum; the scale of G is absorbed by the local factors L_j = W_j·pinv(G), so sum and average give the same W̃.
    Singular vectors have arbitrary signs, so averaging them as returned is ill-defined (two equal matrices could
    cancel out). Method 2 therefore flips each matrix's k-th vector to point the same way as the first matrix's k-th
    vector (non-negative inner product) before averaging.
    Unlike a per-matrix SVD, r may exceed m (up to n): at r = n, G spans R^n and every W_j = L_j·G exactly.
    """
    if not weights:
        raise ValueError("global_factor needs at least one matrix")
    shape = weights[0].shape
    if any(w.shape != shape for w in weights):
        raise ValueError("all matrices of a GlobaL Fact group must have the same shape")
    m, n = shape
    if not isinstance(rank, int) or not 1 <= rank <= n:
        raise ValueError(f"GlobaL Fact rank {rank} is out of range for {m}×{n} matrices (1 ≤ rank ≤ {n})")
    full = rank > min(m, n)  # right singular vectors beyond min(m, n) need the full V
    stacked = [w.detach().double() for w in weights]
    if method == 1:
        g = torch.linalg.svd(sum(stacked), full_matrices=full)[2][:rank]
    elif method == 2:
        bases = [torch.linalg.svd(w, full_matrices=full)[2][:rank] for w in stacked]
        signs = [torch.where((b * bases[0]).sum(dim=1) < 0, -1.0, 1.0).to(b.dtype)[:, None] for b in bases]
        g = sum(b * sign for b, sign in zip(bases, signs, strict=True)) / len(bases)
    else:
        raise ValueError(f"GlobaL Fact init method must be 1 or 2, got {method}")
    return g.to(weights[0].dtype)


def local_factor(weight: torch.Tensor, global_: torch.Tensor) -> torch.Tensor:
    """L_j = W_j · pinv(G) (eq. 6.7): the least-squares local factor for a fixed global factor."""
    pinv = torch.linalg.pinv(global_.detach().double())
    return (weight.detach().double() @ pinv).to(weight.dtype)


def mass_average(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """MASS aggregation (Simionato eq. 6.1–6.2): the element-wise mean of same-shaped weights (or biases)."""
    if not tensors:
        raise ValueError("mass_average needs at least one tensor")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError("all matrices of a MASS group must have the same shape")
    return (sum(t.detach().double() for t in tensors) / len(tensors)).to(tensors[0].dtype)


def _check_rank(rank: int, m: int, n: int) -> None:
    if not isinstance(rank, int) or rank < 1 or rank > min(m, n):
        raise ValueError(f"rank {rank} is out of range for a {m}×{n} matrix (1 ≤ rank ≤ {min(m, n)})")
