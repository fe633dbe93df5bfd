"""Per-exit agreement: how often the shared head's top-1 at an exit equals the final layer's top-1."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec


@torch.no_grad()
def exit_agreement(
    model: nn.Module,
    arch: ArchSpec,
    blocks: torch.Tensor,
    depths: list[int],
    batch_size: int = 4,
    adapters: nn.Module | None = None,
) -> dict[str, Any]:
    """Over every position of ``blocks``: agreement with the final top-1 and next-token accuracy, per exit depth
    (exits read through ``adapters(h, depth)`` when given, as ``codeeff-hf`` does with ``exit_adapters``)."""
    was_training = model.training
    model.eval()
    agree = {d: 0 for d in depths}
    correct = {d: 0 for d in [*depths, "final"]}
    positions = 0
    try:
        for start in range(0, blocks.shape[0], batch_size):
            ids = blocks[start : start + batch_size].to(next(model.parameters()).device)
            out = model(input_ids=ids, output_hidden_states=True, use_cache=False)
            final = out.logits[:, :-1].argmax(-1)
            target = ids[:, 1:]
            positions += final.numel()
            correct["final"] += int((final == target).sum())
            for d in depths:
                h = out.hidden_states[d][:, :-1]
                top1 = arch.head_logits(model, adapters(h, d) if adapters is not None else h).argmax(-1)
                agree[d] += int((top1 == final).sum())
                correct[d] += int((top1 == target).sum())
    finally:
        model.train(was_training)
    return {
        "positions": positions,
        "agreement": {str(d): agree[d] / positions for d in depths},
        "accuracy": {str(d): correct[d] / positions for d in correct},
    }


def format_table(before: dict[str, Any], after: dict[str, Any] | None = None) -> str:
    """A plain-text table: depth | agreement before | after | next-token accuracy before | after."""
    lines = ["exit  agree_before  agree_after  acc_before  acc_after"]
    for depth, value in before["agreement"].items():
        a = after["agreement"][depth] if after else float("nan")
        acc_a = after["accuracy"][depth] if after else float("nan")
        lines.append(f"{depth:>4}  {value:12.3f}  {a:11.3f}  {before['accuracy'][depth]:10.3f}  {acc_a:9.3f}")
    final_after = after["accuracy"]["final"] if after else float("nan")
    lines.append(f"final  {'':11}  {'':11}  {before['accuracy']['final']:10.3f}  {final_after:9.3f}")
    return "\n".join(lines)
