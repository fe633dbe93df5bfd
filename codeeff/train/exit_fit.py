"""Closed-form exit adapters: a ridge least-squares map from the hidden state at exit d to the last layer's output.

For each exit depth d, ``[h_d, 1] @ M ≈ h_L`` (h_L = the last decoder layer's output before the final norm) over
sampled positions of held-out training text; the adapter becomes ``h + (M_w − I)·h + M_b`` (rank 0), or the best
rank-r approximation of ``M_w − I`` (rank r). This is the linear "short-cut" of Din et al., "Jump to Conclusions:
Short-Cutting Transformers with Linear Transformations" (2023): a forward pass and one linear solve per exit, no
gradient steps, so it fits on a CPU in minutes. ``codeeff train exits --mode adapters --adapter-init lstsq`` uses it
(then ``--max-steps`` > 0 fine-tunes the fitted adapters with the exit loss).
"""

from __future__ import annotations

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec


@torch.no_grad()
def exit_pairs(
    model: nn.Module, arch: ArchSpec, blocks: torch.Tensor, depths: list[int], batch_size: int = 4
) -> tuple[dict[int, torch.Tensor], torch.Tensor]:
    """Hidden states at each exit depth ([N, d] each) and the last layer's pre-norm output ([N, d]), every position
    of ``blocks``. The decoder runs without the LM head."""
    layers = arch.layers(model)
    captured: list[torch.Tensor] = []

    def keep_output(module: nn.Module, args: tuple, output) -> None:
        captured.append((output[0] if isinstance(output, tuple) else output).detach())

    handle = layers[-1].register_forward_hook(keep_output)
    states: dict[int, list[torch.Tensor]] = {d: [] for d in depths}
    try:
        model.eval()
        for start in range(0, blocks.shape[0], batch_size):
            ids = blocks[start : start + batch_size].to(next(model.parameters()).device)
            out = arch.decoder(model)(input_ids=ids, output_hidden_states=True, use_cache=False)
            for d in depths:
                states[d].append(out.hidden_states[d].reshape(-1, out.hidden_states[d].shape[-1]).float())
    finally:
        handle.remove()
    final = torch.cat([c.reshape(-1, c.shape[-1]).float() for c in captured])
    return {d: torch.cat(v) for d, v in states.items()}, final


def ridge_map(x: torch.Tensor, y: torch.Tensor, ridge: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(W [d, d], b [d]) minimising ‖x·W + b − y‖² + ridge·N·‖W‖² (float64 normal equations)."""
    if x.shape[0] <= x.shape[1]:
        raise ValueError(f"the fit needs more positions than hidden units: {x.shape[0]} ≤ {x.shape[1]}")
    xd = torch.cat([x.double(), torch.ones(x.shape[0], 1, dtype=torch.float64)], 1)
    gram = xd.T @ xd
    reg = torch.eye(gram.shape[0], dtype=torch.float64) * ridge * x.shape[0]
    reg[-1, -1] = 0.0  # the bias is not shrunk
    solution = torch.linalg.solve(gram + reg, xd.T @ y.double())
    return solution[:-1].float(), solution[-1].float()


@torch.no_grad()
def fit_adapters(
    adapters: nn.Module, pairs: dict[int, torch.Tensor], final: torch.Tensor, ridge: float = 1e-4
) -> dict[str, float]:
    """Load the least-squares map of every exit into ``adapters``; returns R² of the fit per exit (train positions)."""
    r2: dict[str, float] = {}
    total = ((final - final.mean(0)) ** 2).sum()
    for depth in adapters.depths:
        x = pairs[depth]
        weight, bias = ridge_map(x, final, ridge)  # y ≈ x @ weight + bias
        delta = weight - torch.eye(weight.shape[0])  # adapter(h) = h + h @ delta + bias
        module = adapters.adapters[str(depth)]
        if module.rank == 0:
            module.affine.weight.copy_(delta.T)
            module.affine.bias.copy_(bias)
        else:
            u, s, vh = torch.linalg.svd(delta, full_matrices=False)
            root = s[: module.rank].sqrt()
            module.down.weight.copy_((u[:, : module.rank] * root).T)  # h @ down.T = h @ U_r·√S_r
            module.up.weight.copy_(vh[: module.rank].T * root)  # z @ up.T = z @ √S_r·V_r^T
            module.up.bias.copy_(bias)
        predicted = module(x)
        r2[str(depth)] = round(float(1 - ((predicted - final) ** 2).sum() / total), 4)
    return r2
