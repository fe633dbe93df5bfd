"""Per-exit observations of a calibration set, collected once and cached on disk.

For every sampled position: the hidden state after each exit depth (what an exit policy sees in ``codeeff-hf``:
the decoder layer's output, before the final norm), the shared head's top-1 there, and the final layer's top-1.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec

CACHE_FORMAT = "codeeff.exit_observations/1"


@dataclass
class Observations:
    hidden: torch.Tensor  # [N, E, d] float16
    exit_top1: torch.Tensor  # [N, E] long
    final_top1: torch.Tensor  # [N] long
    depths: list[int]
    num_layers: int

    def __len__(self) -> int:
        return self.final_top1.shape[0]

    @property
    def correct(self) -> torch.Tensor:
        """[N, E] bool: the exit's top-1 equals the final top-1 (the classifier's label)."""
        return self.exit_top1 == self.final_top1[:, None]

    def optimal_index(self) -> torch.Tensor:
        """[N] index of the first exit whose prediction equals the final one (ℓ_opt); E when none does."""
        correct = self.correct
        first = torch.where(
            correct.any(1), correct.float().argmax(1), torch.full_like(self.final_top1, len(self.depths))
        )
        return first

    def subset(self, index: torch.Tensor) -> Observations:
        return Observations(
            self.hidden[index], self.exit_top1[index], self.final_top1[index], self.depths, self.num_layers
        )


@torch.no_grad()
def collect(
    model: nn.Module,
    arch: ArchSpec,
    blocks: torch.Tensor,
    depths: list[int],
    max_positions: int,
    seed: int,
    progress: bool = True,
    adapters: nn.Module | None = None,
) -> Observations:
    """Observations of ``blocks``; with per-exit ``adapters`` the stored state and the exit's top-1 are those of
    ``adapters(h, depth)``, what ``codeeff-hf`` hands the policy and the shared head with ``exit_adapters``."""
    from tqdm.auto import tqdm

    model.eval()
    generator = torch.Generator().manual_seed(seed)
    batches = blocks.split(4)
    # positions per batch, sampled before the head runs: the shared head (vocab × d per exit) dominates the cost
    per_batch = -(-max_positions // len(batches))
    hidden, exit_top1, final_top1 = [], [], []
    for block in tqdm(batches, desc="observations", unit="batch", disable=not progress):
        out = model(input_ids=block, output_hidden_states=True, use_cache=False)
        n = block.numel()
        keep = torch.randperm(n, generator=generator)[: min(per_batch, n)].sort().values
        final_top1.append(out.logits.reshape(n, -1)[keep].argmax(-1))
        raw = [out.hidden_states[d].reshape(n, -1)[keep] for d in depths]
        if adapters is not None:
            raw = [adapters(h, d) for h, d in zip(raw, depths, strict=True)]
        states = torch.stack(raw, dim=1)  # [k, E, d]
        exit_top1.append(torch.stack([arch.head_logits(model, states[:, e]).argmax(-1) for e in range(len(depths))], 1))
        hidden.append(states.half())
    obs = Observations(torch.cat(hidden), torch.cat(exit_top1), torch.cat(final_top1), depths, len(arch.layers(model)))
    if len(obs) > max_positions:
        obs = obs.subset(torch.randperm(len(obs), generator=generator)[:max_positions].sort().values)
    return obs


def cache_key(model_path: str, depths: list[int], data_record: dict[str, Any], settings: dict[str, Any]) -> str:
    """A hash of what the observations depend on (weights files' size and mtime, exits, rows, settings)."""
    files = sorted(Path(model_path).glob("*.safetensors")) + sorted(Path(model_path).glob("*.bin"))
    weights = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    payload = json.dumps([str(Path(model_path).resolve()), weights, depths, data_record, settings], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def save(path: Path, obs: Observations, key: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(
        {
            "format": CACHE_FORMAT,
            "key": key,
            "hidden": obs.hidden,
            "exit_top1": obs.exit_top1,
            "final_top1": obs.final_top1,
            "depths": obs.depths,
            "num_layers": obs.num_layers,
        },
        tmp,
    )
    tmp.replace(path)


def load(path: Path, key: str) -> Observations | None:
    """The cached observations if ``path`` holds ones made with the same ``key``; None otherwise."""
    if not path.is_file():
        return None
    data = torch.load(path, weights_only=True)
    if data.get("format") != CACHE_FORMAT or data.get("key") != key:
        return None
    return Observations(data["hidden"], data["exit_top1"], data["final_top1"], list(data["depths"]), data["num_layers"])
