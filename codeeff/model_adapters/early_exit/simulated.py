"""Loglikelihood under a dynamic policy: every position's exit, computed from all hidden states of one full pass.

A scoring forward cannot skip layers per position, so the exits are *simulated*: the efficiency record labels the
figures that rest on them, and the FLOPs count what ran (the full pass plus the checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec
from codeeff.model_adapters.early_exit.policies import ExitPolicy


@dataclass
class SimulatedExits:
    logits: torch.Tensor  # [B, T, V] each position's logits at its exit (full depth where none fired)
    depth: torch.Tensor  # [B, T] exit depth per position
    checks: int  # policy evaluations (positions)
    reprojected: int  # exit logits projected again (a confidence check's own logits are reused instead)


@torch.no_grad()
def simulate_exits(
    model: nn.Module,
    arch: ArchSpec,
    policy: ExitPolicy,
    exit_depths: list[int],
    num_layers: int,
    input_ids: torch.Tensor,
    exit_hidden: Callable[[int, torch.Tensor], torch.Tensor],
) -> SimulatedExits:
    """Run ``model`` once at full depth (no gates) and let ``policy`` pick each position's exit among ``exit_depths``.

    ``exit_hidden(depth, h)`` is the state an exit hands to the shared final norm + LM head.
    """
    out = model(input_ids, output_hidden_states=True, use_cache=False)
    hidden = out.hidden_states
    logits = out.logits.clone()
    batch, length = input_ids.shape
    depth = torch.full((batch, length), num_layers, dtype=torch.long, device=logits.device)
    done = torch.zeros(batch, length, dtype=torch.bool, device=logits.device)
    checks = reprojected = 0
    for k in exit_depths:
        todo = (~done).nonzero(as_tuple=True)
        if todo[0].numel() == 0:
            break
        h = exit_hidden(k, hidden[k][todo])
        decision = policy.decide(h, hidden[k - 1][todo], model, arch)
        checks += int(h.shape[0])
        rows = (todo[0][decision], todo[1][decision])
        if rows[0].numel():
            raw = getattr(policy, "last_head_logits", None)  # a confidence check's logits: reuse them
            if raw is not None:
                logits[rows] = arch.softcap(model, raw[decision]).to(logits.dtype)
            else:
                logits[rows] = arch.head_logits(model, h[decision]).to(logits.dtype)
                reprojected += int(rows[0].numel())
            depth[rows] = k
            done[rows] = True
    return SimulatedExits(logits, depth, checks, reprojected)
