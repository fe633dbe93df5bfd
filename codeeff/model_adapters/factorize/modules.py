"""Modules that replace a dense ``nn.Linear``: two factors, a shared global factor, or a shared averaged matrix.

Sharing is real module sharing: GlobaL Fact puts the *same* ``down`` Linear (the global factor G) into every
:class:`FactorizedLinear` of a group, and MASS puts the same ``nn.Linear`` into every position of a group. So
``model.parameters()`` (which de-duplicates) counts a shared tensor once, while each position still runs it — its
FLOPs are paid per use.
"""

from __future__ import annotations

import torch
from torch import nn


def linear_from(weight: torch.Tensor, bias: torch.Tensor | None = None) -> nn.Linear:
    """An ``nn.Linear`` whose parameters *are* ``weight`` (and ``bias``): same storage, device and dtype, no copy.

    Contiguous row-major storage matters: the same values in another memory layout take another BLAS path and
    give (slightly) different outputs, which would break bit-exact save/load round trips.
    """
    out_features, in_features = weight.shape
    layer = nn.Linear(in_features, out_features, bias=bias is not None, device="meta")
    layer.weight = nn.Parameter(weight.detach().contiguous(), requires_grad=False)
    if bias is not None:
        layer.bias = nn.Parameter(bias.detach().contiguous(), requires_grad=False)
    return layer.eval()


class FactorizedLinear(nn.Module):
    """``y = up(down(x))``: ``down`` [r×n] (no bias, possibly shared), ``up`` [m×r] (+ the original bias)."""

    def __init__(self, down: nn.Linear, up: nn.Linear):
        super().__init__()
        if down.out_features != up.in_features:
            raise ValueError(f"factor shapes do not chain: down→{down.out_features}, up←{up.in_features}")
        self.down = down
        self.up = up

    @property
    def in_features(self) -> int:
        return self.down.in_features

    @property
    def out_features(self) -> int:
        return self.up.out_features

    @property
    def rank(self) -> int:
        return self.down.out_features

    @property
    def weight(self) -> torch.Tensor:
        """The dense product ``up @ down`` (for analysis and error figures; never used in forward)."""
        return self.up.weight @ self.down.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.down(x))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, rank={self.rank}, out_features={self.out_features}"
