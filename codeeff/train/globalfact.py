"""GlobaL Fact initialisation pre-training (factorization thesis ``004_`` §6.2.3, "Initialization Pre-Training").

After the closed-form start (G from method 1 or 2, ``L_j = W_j·pinv(G)``), the shared global factor G and the local
factors L_j of a group are optimised together against the original matrices: Adam on
``Σ_j ‖W_j − L_j·G‖²_F / Σ_j ‖W_j‖²_F`` (weight space, no data). The closed-form L_j is already optimal for its G;
the pre-training moves G too, which the closed form cannot.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def relative_error(weights: list[torch.Tensor], locals_: list[torch.Tensor], global_: torch.Tensor) -> torch.Tensor:
    num = sum(((w - loc @ global_) ** 2).sum() for w, loc in zip(weights, locals_, strict=True))
    return num / sum((w**2).sum() for w in weights)


def pretrain(plan: Any, model: nn.Module, arch: Any, steps: int, lr: float) -> dict[str, dict[str, float]]:
    """Optimise every GlobaL Fact group of ``plan`` in place (its tensors and approximation errors); returns the
    relative Frobenius error per role before and after."""
    from codeeff.model_adapters.factorize import linalg
    from codeeff.model_adapters.factorize.plan import dense_linear

    if steps <= 0:
        raise ValueError(f"GlobaL Fact pre-training needs steps > 0, got {steps}")
    stack = arch.layers(model)
    report: dict[str, dict[str, float]] = {}
    for name in [n for n in plan.tensors if n.startswith("global.") and n.endswith(".down")]:
        role = name[len("global.") : -len(".down")]
        slots = [s for s in plan.slots if s.role == role]
        weights = [dense_linear(arch, stack[s.layer], role, s.layer).weight.detach().float() for s in slots]
        g = nn.Parameter(plan.tensors[name].detach().float().clone())
        locals_ = [nn.Parameter(plan.tensors[s.up].detach().float().clone()) for s in slots]
        optimizer = torch.optim.Adam([g, *locals_], lr=lr)
        with torch.no_grad():
            before = float(relative_error(weights, locals_, g))
        for _ in range(steps):
            optimizer.zero_grad()
            loss = relative_error(weights, locals_, g)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            after = float(relative_error(weights, locals_, g))
            if after < before:  # keep the closed-form start if the steps did not improve it
                plan.tensors[name] = g.detach().to(plan.tensors[name].dtype).contiguous()
                for s, loc in zip(slots, locals_, strict=True):
                    plan.tensors[s.up] = loc.detach().to(plan.tensors[s.up].dtype).contiguous()
                approx = [plan.tensors[s.up].double() @ plan.tensors[name].double() for s in slots]
                plan.errors[role] = linalg.approximation_errors(weights, approx)
        report[role] = {"relative_error_before": round(before, 6), "relative_error_after": round(min(after, before), 6)}
    if not report:
        raise ValueError("GlobaL Fact pre-training: the plan has no GlobaL Fact group (use --init globalfact)")
    return report
