"""The demo's trained variant: exit adapters + an exit classifier for SmolLM2-135M-Instruct, shipped as small files.

``artifacts/smollm2_exits/`` holds what ``codeeff train`` produced for the demo model (recipe in its ``RECIPE.md``):
``exit_adapters.safetensors`` (one affine map per exit, fitted in closed form on held-out PY150 rows; the backbone is
unchanged), ``exit_classifier.pt`` (the exit classifier on the adapted exit states) and the two ``training.json``
records they came out of (the variant's ``training`` key: what it cost to make reaches the leaderboard). Every file
is checked against the sha256 below before the demo uses it; codeeff-hf checks the adapters' hash again when it loads
them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codeeff.data import sha256_file

ARTIFACTS = Path(__file__).parent / "artifacts" / "smollm2_exits"
EXIT_LAYERS = [14, 18, 22, 26]
THRESHOLD = 0.8
# The model the artifacts were fitted on (SmolLM2-135M-Instruct): its config must match before they are used.
FITTED_ON = {"hidden_size": 576, "num_hidden_layers": 30}
SHA256 = {
    "exit_adapters.safetensors": "c8177ba18d07fab66385d9aea1d39e659892b83430e0d1a567bf5d45ecf05c84",
    "exit_classifier.pt": "b5faa55f596fd40b3e19d52e416ed8b0043dcf99e38e2ad19347007d8c0c34e3",
    # the codeeff train records the two files came out of (what they cost to make, on which rows)
    "training-exit_adapters.json": "027913f79985c7d0396080e5b4dc667d76621359a20490dcaee668c241b2cbe3",
    "training-exit_classifier.json": "6bfdfa1899e3374ed9e65496129f6762a365d053eba93f0017e0200c51450701",
}
TRAINING_RECORDS = ["training-exit_adapters.json", "training-exit_classifier.json"]


def verify(model_dir: Path) -> None:
    """Every shipped file exists and has its recorded sha256, and ``model_dir`` is the shape of the model they were
    fitted on; one clear error otherwise (before any model loads)."""
    config_path = Path(model_dir) / "config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    mismatched = {key: config.get(key) for key, value in FITTED_ON.items() if config.get(key) != value}
    if mismatched:
        raise SystemExit(
            f"demo: the trained-exit artifacts were fitted on SmolLM2-135M-Instruct ({FITTED_ON}); {model_dir} has "
            f"{mismatched}. Leave trained-exit out of --variants for another model."
        )
    for name, expected in SHA256.items():
        path = ARTIFACTS / name
        if not path.is_file():
            raise SystemExit(f"demo: trained-exit artifact missing: {path}")
        got = sha256_file(path)
        if got != expected:
            raise SystemExit(f"demo: {path} has sha256 {got}, expected {expected} (re-create it with its RECIPE.md)")


def keys() -> dict[str, Any]:
    """The codeeff-hf keys of the trained variant."""
    return {
        "early_exit": f"classifier:{ARTIFACTS / 'exit_classifier.pt'}:{THRESHOLD}",
        "exit_layers": EXIT_LAYERS,
        "exit_adapters": str(ARTIFACTS / "exit_adapters.safetensors"),
        "exit_adapters_sha256": SHA256["exit_adapters.safetensors"],
        "kv_mode": "copy",
        "training": ";".join(str(ARTIFACTS / name) for name in TRAINING_RECORDS),
    }
