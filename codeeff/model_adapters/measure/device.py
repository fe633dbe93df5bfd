"""The device side of the wall-clock and environment figures: waiting for queued work, and the fingerprint."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import torch

from codeeff.environment import fingerprint
from codeeff.model_adapters.measure.energy import energy_sensor_reason


def sync(device: torch.device) -> None:
    """Wait for queued device work so wall-clock windows end when the work does (no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def environment(device: torch.device, model: Any = None) -> dict[str, Any]:
    """The machine fingerprint (:func:`codeeff.environment.fingerprint`) plus the runtime settings the figures
    depend on: threads, device, CUDA, energy sensors, dtype and attention implementation."""
    env: dict[str, Any] = {
        **fingerprint(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "cuda": torch.version.cuda,
        "gpu": torch.cuda.get_device_name(device) if torch.device(device).type == "cuda" else None,
        "rapl": "readable" if energy_sensor_reason(torch.device("cpu")) is None else "unavailable",
    }
    if model is not None:
        env["dtype"] = str(getattr(model, "dtype", None))
        env["attn_implementation"] = getattr(model.config, "_attn_implementation", None)
    try:  # the installed version only: importing zeus takes seconds
        env["zeus"] = version("zeus")
    except PackageNotFoundError:
        env["zeus"] = None
    return env
