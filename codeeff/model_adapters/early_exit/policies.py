"""Exit policies: given the hidden state after an exit layer, which rows stop here.

Every policy sees ``h`` (``[rows, hidden]``: the last position of the rows still running) and ``prev`` (the same
rows' input to that layer) and returns a bool tensor. ``check_flops`` is the matmul cost of one check per row, for the
cost model (a shared-head confidence check costs a full LM-head projection; an MLP costs its Linear layers; cosine
saturation has no matmul).

MLP files (``classifier:PATH`` / ``policy:PATH``), loaded with ``torch.load(weights_only=True)``:
* a Stable-Baselines3 PPO policy ``state_dict`` (``torch.save(ppo.policy.state_dict(), path)``): the actor
  ``mlp_extractor.policy_net.{0,2,...}`` (tanh) and ``action_net`` are used, the critic is ignored -- the early-exit
  seed's 2x64 tanh actor with a continue/exit head (Briem, "Towards Resource Efficient Code Generation through Dynamic
  Early Exits in LLMs" (TU Wien, 2025), §5.3);
* codeeff's own format written by :func:`save_exit_mlp`: ``{"format": "codeeff.exit_mlp/1", "activation": "tanh" |
  "relu", "weights": [W0, W1, ...], "biases": [b0, b1, ...]}``.
A 1-logit head is read as ``sigmoid`` = P(exit); a 2-logit head as ``softmax[exit_action]``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from codeeff.model_adapters.arch import ArchSpec

MLP_FORMAT = "codeeff.exit_mlp/1"
_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


class ExitPolicy:
    kind = "base"

    def __init__(self, threshold: float):
        self.threshold = float(threshold)

    def decide(self, h: torch.Tensor, prev: torch.Tensor, model: nn.Module, arch: ArchSpec) -> torch.Tensor:
        raise NotImplementedError

    def check_flops(self, head_flops: int) -> int:
        return 0

    def describe(self) -> dict[str, Any]:
        return {"policy": self.kind, "threshold": self.threshold}


class ConfidencePolicy(ExitPolicy):
    """CALM-style softmax confidence through the shared head: top-1 probability or top1-top2 margin >= T.

    With ``vocab`` (token ids, :mod:`~codeeff.model_adapters.early_exit.exit_vocab`) the softmax runs over those
    tokens only: the check projects only their head rows, and the exited rows' logits come from a full-head
    projection afterwards (nothing to reuse).
    """

    kind = "confidence"

    def __init__(
        self, threshold: float, measure: str = "top1", vocab: torch.Tensor | None = None, vocab_path: str | None = None
    ):
        super().__init__(threshold)
        self.measure = measure
        self.vocab = vocab
        self.vocab_path = vocab_path
        self.last_head_logits: torch.Tensor | None = None  # raw LM-head output (before soft-capping) of the last check

    @property
    def computes_head_logits(self) -> bool:
        """Whether a check projects the full head, so early exit reuses its logits as the exited rows' output."""
        return self.vocab is None

    @property
    def vocab_rows(self) -> int | None:
        """Head rows one check projects when restricted to a vocabulary (the cost model's figure), else None."""
        return None if self.vocab is None else int(self.vocab.numel())

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> ConfidencePolicy:
        if self.vocab is not None:
            self.vocab = self.vocab.to(device)
        return self

    def decide(self, h, prev, model, arch):
        if self.vocab is not None:
            return self.score(arch.head_logits(model, h, token_ids=self.vocab)) >= self.threshold
        raw = arch.head_logits(model, h, softcap=False)
        self.last_head_logits = raw
        return self.score(arch.softcap(model, raw)) >= self.threshold

    def score(self, logits: torch.Tensor) -> torch.Tensor:
        """Top-1 probability (or top1 - top2) per row, from one logsumexp and a top-k.

        p_i = exp(z_i - logsumexp(z)) for the one or two largest logits is exactly the softmax's top entries, without
        materialising a vocabulary-sized probability tensor per check (49k floats a row for SmolLM2). The logsumexp
        is taken of ``z - max(z)``: of ``z`` itself, with logits in the hundreds, its float32 rounding alone (an ulp
        of the max) moved the top probability by ~2e-5.
        """
        z = logits.float()
        top = z.topk(2 if self.measure == "margin" else 1, dim=-1).values
        log_norm = torch.logsumexp(z - top[:, :1], dim=-1)  # logsumexp(z) - max(z), exact near 0
        p_top = torch.exp(-log_norm)
        if self.measure == "margin":
            return p_top - torch.exp(top[:, 1] - top[:, 0] - log_norm)
        return p_top

    def check_flops(self, head_flops: int) -> int:
        return head_flops

    def describe(self):
        out = {**super().describe(), "measure": self.measure}
        if self.vocab is not None:
            out["vocab"] = {"path": self.vocab_path, "tokens": self.vocab_rows}
        return out


class SaturationPolicy(ExitPolicy):
    """Hidden-state saturation: cosine similarity of a layer's output and input >= T."""

    kind = "saturation"

    def decide(self, h, prev, model, arch):
        return torch.nn.functional.cosine_similarity(h.float(), prev.float(), dim=-1) >= self.threshold


class MLPPolicy(ExitPolicy):
    """A small torch MLP on the hidden state (exit classifier, or an RL policy's actor): P(exit) > T."""

    def __init__(self, kind: str, path: str, threshold: float, exit_action: int = 1):
        super().__init__(threshold)
        self.kind = kind
        self.path = path
        self.exit_action = exit_action
        self.net = load_exit_mlp(path)
        self.in_features = self.net[0].in_features
        self.out_features = [m for m in self.net if isinstance(m, nn.Linear)][-1].out_features
        if self.out_features not in (1, 2):
            raise ValueError(f"{path}: the exit head must have 1 or 2 outputs, has {self.out_features}")
        if self.out_features == 2 and exit_action not in (0, 1):
            raise ValueError(f"exit_action must be 0 or 1, got {exit_action}")

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> MLPPolicy:
        self.net.to(device=device)
        return self

    @torch.no_grad()
    def exit_probability(self, h: torch.Tensor) -> torch.Tensor:
        param = next(self.net.parameters())
        out = self.net(h.to(device=param.device, dtype=param.dtype))
        if self.out_features == 1:
            return torch.sigmoid(out[:, 0])
        return torch.softmax(out, dim=-1)[:, self.exit_action]

    def decide(self, h, prev, model, arch):
        return self.exit_probability(h) > self.threshold

    def check_flops(self, head_flops: int) -> int:
        return sum(2 * m.in_features * m.out_features for m in self.net if isinstance(m, nn.Linear))

    def describe(self):
        return {**super().describe(), "path": self.path, "exit_action": self.exit_action}


def _sequential(weights: list[torch.Tensor], biases: list[torch.Tensor | None], activation: str) -> nn.Sequential:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"unknown activation '{activation}'; known: {', '.join(_ACTIVATIONS)}")
    modules: list[nn.Module] = []
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        if w.dim() != 2:
            raise ValueError("exit MLP weights must be 2-D matrices")
        if i and w.shape[1] != weights[i - 1].shape[0]:
            raise ValueError(
                f"exit MLP layer {i} expects {w.shape[1]} inputs, previous layer gives {weights[i - 1].shape[0]}"
            )
        linear = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
        with torch.no_grad():
            linear.weight.copy_(w.float())
            if b is not None:
                linear.bias.copy_(b.float())
        modules.append(linear)
        if i < len(weights) - 1:
            modules.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*modules).eval()


def load_exit_mlp(path: str) -> nn.Sequential:
    """Read an SB3 PPO policy state_dict or a codeeff exit-MLP file (see the module docstring)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise FileNotFoundError(f"exit policy file not found: {path}")
    try:
        data = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path}: not a torch weights file readable with weights_only=True ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a dict (SB3 policy state_dict or {MLP_FORMAT}), got {type(data).__name__}")
    if data.get("format") == MLP_FORMAT:
        return _sequential(list(data["weights"]), list(data["biases"]), str(data.get("activation", "tanh")))
    actor = sorted(
        (int(m[1]), key) for key in data if (m := re.fullmatch(r"mlp_extractor\.policy_net\.(\d+)\.weight", key))
    )
    if actor and "action_net.weight" in data:
        weights = [data[key] for _, key in actor] + [data["action_net.weight"]]
        biases = [data.get(key[: -len("weight")] + "bias") for _, key in actor] + [data.get("action_net.bias")]
        return _sequential(weights, biases, "tanh")
    raise ValueError(
        f"{path}: neither an SB3 PPO policy state_dict (mlp_extractor.policy_net.*, action_net.*) nor {MLP_FORMAT}"
    )


def save_exit_mlp(path: str | Path, net: nn.Sequential, activation: str = "tanh") -> Path:
    """Write ``net`` (Linear layers with one activation kind between them) in codeeff's exit-MLP format."""
    linears = [m for m in net if isinstance(m, nn.Linear)]
    payload = {
        "format": MLP_FORMAT,
        "activation": activation,
        "weights": [m.weight.detach().cpu().clone() for m in linears],
        "biases": [None if m.bias is None else m.bias.detach().cpu().clone() for m in linears],
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path
