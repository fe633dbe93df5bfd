"""Exit vocabulary files (``confidence_vocab: PATH``): the tokens a confidence check's softmax runs over.

A confidence check through the full shared head costs a whole LM-head projection per check (for SmolLM2-135M as
much as 8 of its 30 layers), so checking at every exit costs more than exiting saves. Restricted to a fixed set of K
tokens (``codeeff train exit-policy --kind vocab``: the K most frequent final-layer predictions on held-out code) a
check costs ``2·d·K`` FLOPs. Only the *decision* uses the restricted softmax; an exited row's logits are the full
head's, so the emitted token is the exit's own top-1 over the whole vocabulary.

File: JSON ``{"format": "codeeff.exit_vocab/1", "token_ids": [...], ...}`` (extra keys are provenance).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

VOCAB_FORMAT = "codeeff.exit_vocab/1"


def save_exit_vocab(path: str | Path, token_ids: list[int], **provenance: Any) -> Path:
    path = Path(path)
    path.write_text(json.dumps({"format": VOCAB_FORMAT, "token_ids": [int(t) for t in token_ids], **provenance}) + "\n")
    return path


def load_exit_vocab(path: str | Path, vocab_size: int) -> torch.Tensor:
    """The token ids (``long``), checked: the format, a non-empty list of distinct ids in ``0..vocab_size-1``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a JSON exit vocabulary ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != VOCAB_FORMAT:
        raise ValueError(f"{path}: not a {VOCAB_FORMAT} file")
    ids = data.get("token_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(t, int) and not isinstance(t, bool) for t in ids):
        raise ValueError(f"{path}: token_ids must be a non-empty list of integers")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: token_ids has duplicates")
    bad = [t for t in ids if not 0 <= t < vocab_size]
    if bad:
        raise ValueError(f"{path}: token ids {bad[:5]} outside the model's vocabulary (0..{vocab_size - 1})")
    return torch.tensor(ids, dtype=torch.long)
