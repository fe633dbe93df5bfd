"""What a variant cost to make: the ``codeeff train`` records (``training.json``) behind it, summed.

Sources, in order: the ``training`` spec key (one path or several separated by ``;``: e.g. the exit adapters' record
and the exit classifier's), else a ``training.json`` in the ``pretrained`` folder (LITE / bypass write one beside
the model). A variant without either has no training cost (``None``: nothing was trained, or it is unknown).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORD_FORMAT = "codeeff.training/1"
RECORD_FILE = "training.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"training: cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        raise ValueError(f"training: {path} is not a codeeff training record ({RECORD_FORMAT})")
    return data


def record_paths(value: str | None, pretrained: Any) -> list[Path]:
    """The training records of a variant (see the module docstring); a named file that does not exist is an error."""
    if value:
        paths = [Path(p.strip()).expanduser() for p in str(value).split(";") if p.strip()]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise ValueError(f"training: file not found: {', '.join(missing)}")
        return paths
    if isinstance(pretrained, (str, Path)):
        beside = Path(pretrained).expanduser() / RECORD_FILE
        if beside.is_file():
            return [beside]
    return []


def training_cost(paths: list[Path]) -> dict[str, Any] | None:
    """{wall_s, tokens_seen, steps, parts: [{producer, wall_s, tokens_seen, steps, heldout_from, path}]} or None."""
    if not paths:
        return None
    parts = []
    for path in paths:
        data = _read(path)
        cost = data.get("cost") or {}
        parts.append(
            {
                "producer": data.get("producer"),
                "wall_s": cost.get("wall_s"),
                "tokens_seen": cost.get("tokens_seen"),
                "steps": cost.get("steps"),
                "heldout_from": (data.get("data") or {}).get("heldout_from"),
                "path": str(path),
            }
        )

    def total(key: str) -> float | int | None:
        values = [p[key] for p in parts]
        return None if any(v is None for v in values) else round(sum(values), 2)

    return {"wall_s": total("wall_s"), "tokens_seen": total("tokens_seen"), "steps": total("steps"), "parts": parts}
