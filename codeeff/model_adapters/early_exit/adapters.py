"""Per-exit adapters: a small module on the exit hidden state before the shared final norm and LM head.

An exit at depth d projects ``head(norm(a_d(h_d)))`` instead of ``head(norm(h_d))``, where
``a_d(h) = h + up_d(down_d(h))`` (rank ``r``; ``up`` starts at zero, so an untrained adapter is the identity) or, with
rank 0, ``a_d(h) = h + W_d·h + b_d`` (a full affine map, the "tuned lens" translator). The backbone is untouched:
the adapters are trained with it frozen (``codeeff train exits --mode adapters``) and stored alone, a few hundred KB.

File: one safetensors file, tensors ``exit_<d>.down`` / ``exit_<d>.up`` (rank r) or ``exit_<d>.weight`` /
``exit_<d>.bias`` (rank 0), metadata ``format`` = ``codeeff.exit_adapters/1``, ``depths``, ``rank``, ``hidden_size``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from codeeff.data import sha256_file

FORMAT = "codeeff.exit_adapters/1"


class ExitAdapter(nn.Module):
    """``h + up(down(h))`` (rank > 0) or ``h + W·h + b`` (rank 0); the identity at initialisation."""

    def __init__(self, hidden_size: int, rank: int):
        super().__init__()
        self.rank = rank
        if rank > 0:
            self.down = nn.Linear(hidden_size, rank, bias=False)
            self.up = nn.Linear(rank, hidden_size, bias=True)
            nn.init.normal_(self.down.weight, std=hidden_size**-0.5)
            nn.init.zeros_(self.up.weight)
            nn.init.zeros_(self.up.bias)
        else:
            self.affine = nn.Linear(hidden_size, hidden_size, bias=True)
            nn.init.zeros_(self.affine.weight)
            nn.init.zeros_(self.affine.bias)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        delta = self.up(self.down(hidden)) if self.rank > 0 else self.affine(hidden)
        return hidden + delta

    def flops_per_row(self) -> int:
        """Multiply-accumulates × 2 of one hidden state through the adapter (the residual add not counted)."""
        return sum(2 * m.in_features * m.out_features for m in self.modules() if isinstance(m, nn.Linear))


class ExitAdapters(nn.Module):
    """One :class:`ExitAdapter` per exit depth."""

    def __init__(self, depths: list[int], hidden_size: int, rank: int):
        super().__init__()
        if not depths:
            raise ValueError("exit adapters need at least one exit depth")
        if rank < 0:
            raise ValueError(f"exit adapter rank must be >= 0 (0 = full affine), got {rank}")
        self.depths = sorted(int(d) for d in depths)
        self.hidden_size = hidden_size
        self.rank = rank
        self.adapters = nn.ModuleDict({str(d): ExitAdapter(hidden_size, rank) for d in self.depths})

    def forward(self, hidden: torch.Tensor, depth: int) -> torch.Tensor:
        return self.adapters[str(depth)](hidden)

    def has(self, depth: int) -> bool:
        return str(depth) in self.adapters

    def flops_per_row(self) -> int:
        return self.adapters[str(self.depths[0])].flops_per_row()


def _tensor_names(depth: int, rank: int) -> dict[str, str]:
    if rank > 0:
        return {"down.weight": f"exit_{depth}.down", "up.weight": f"exit_{depth}.up", "up.bias": f"exit_{depth}.bias"}
    return {"affine.weight": f"exit_{depth}.weight", "affine.bias": f"exit_{depth}.bias"}


def save(path: str | Path, adapters: ExitAdapters, extra: dict[str, str] | None = None) -> str:
    """Write ``adapters`` to ``path`` (safetensors); returns the file's sha256."""
    from safetensors.torch import save_file

    tensors = {}
    for depth in adapters.depths:
        state = adapters.adapters[str(depth)].state_dict()
        for key, name in _tensor_names(depth, adapters.rank).items():
            tensors[name] = state[key].detach().float().cpu().contiguous()
    metadata = {
        "format": FORMAT,
        "depths": json.dumps(adapters.depths),
        "rank": str(adapters.rank),
        "hidden_size": str(adapters.hidden_size),
        **(extra or {}),
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)
    return sha256_file(path)


def load(path: str | Path, hidden_size: int | None = None, sha256: str | None = None) -> ExitAdapters:
    """Read an exit-adapters file; checks its format, the model's hidden size and (if given) the file's sha256."""
    from safetensors import safe_open

    p = Path(path).expanduser()
    if not p.is_file():
        raise FileNotFoundError(f"exit adapters file not found: {path}")
    if sha256 is not None and sha256_file(p) != sha256.lower():
        raise ValueError(f"{path}: sha256 {sha256_file(p)} does not match the expected {sha256}")
    try:
        with safe_open(str(p), framework="pt") as fh:
            meta = fh.metadata() or {}
            tensors = {name: fh.get_tensor(name) for name in fh.keys()}  # noqa: SIM118 (safe_open has no __iter__)
    except Exception as exc:
        raise ValueError(f"{path}: not a safetensors file ({exc})") from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: format {meta.get('format')!r}, expected {FORMAT}")
    depths, rank, size = json.loads(meta["depths"]), int(meta["rank"]), int(meta["hidden_size"])
    if hidden_size is not None and size != hidden_size:
        raise ValueError(f"{path}: adapters for hidden size {size}, the model has {hidden_size}")
    adapters = ExitAdapters(depths, size, rank)
    for depth in adapters.depths:
        names = _tensor_names(depth, rank)
        missing = [name for name in names.values() if name not in tensors]
        if missing:
            raise ValueError(f"{path}: missing tensors {', '.join(missing)}")
        adapters.adapters[str(depth)].load_state_dict({key: tensors[name] for key, name in names.items()})
    return adapters.eval()
