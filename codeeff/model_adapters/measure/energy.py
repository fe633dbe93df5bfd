"""Energy, measured or null with the reason.

Zeus (``pip install codeeff[energy]``) reads NVML GPU energy counters and Intel RAPL. Its counters update about every
100 ms, so energy is measured over *segments* of consecutive batches merged until they last >= 1 s, then attributed
to the segment's requests in proportion to their FLOPs (status ``attributed``). Without a sensor -- no CUDA GPU and
no readable ``/sys/class/powercap`` -- every energy figure is ``null`` with the reason; Zeus is not even imported (it
takes seconds), and a 0 J reading is never reported as a measurement.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

MIN_ENERGY_WINDOW_S = 1.0
_RAPL = Path("/sys/class/powercap")


def energy_sensor_reason(device: torch.device) -> str | None:
    """None if an energy sensor may exist, else why not (checked without importing zeus)."""
    has_gpu = device.type == "cuda" and torch.cuda.is_available()
    rapl = [p for p in _RAPL.glob("intel-rapl:*/energy_uj")] if _RAPL.is_dir() else []
    readable = [p for p in rapl if os.access(p, os.R_OK)]
    if has_gpu or readable:
        return None
    if rapl:
        return "rapl_permission_denied: /sys/class/powercap/*/energy_uj exists but is not readable"
    if device.type == "cuda":
        return "no_gpu: CUDA is not available"
    return "no_sensor: no CUDA GPU (NVML) and no readable RAPL counters (/sys/class/powercap) on this machine"


class ZeusCounter:
    """Cumulative joules through Zeus measurement windows (GPU energy + CPU/DRAM when RAPL is readable)."""

    def __init__(self, device: torch.device):
        from zeus.monitor import ZeusMonitor

        gpus = [device.index or 0] if device.type == "cuda" else []
        self.monitor = ZeusMonitor(gpu_indices=gpus, sync_execution_with="torch")
        self.sources = ("nvml" if gpus else "") + ("+rapl" if self.monitor.cpu_indices else "")
        self._n = 0

    def begin(self) -> str:
        self._n += 1
        key = f"codeeff-{self._n}"
        self.monitor.begin_window(key)
        return key

    def end(self, key: str) -> float | None:
        m = self.monitor.end_window(key)
        joules = sum(m.gpu_energy.values()) + sum((m.cpu_energy or {}).values()) + sum((m.dram_energy or {}).values())
        return joules if joules > 0 else None  # a 0 reading means "below the counter's resolution", not 0 J


@dataclass
class _Segment:
    key: Any
    t0: float
    items: list[tuple[dict, float]] = field(default_factory=list)  # (per-request stats dict, weight)


class EnergyMeter:
    """Energy per segment of >= 1 s, attributed to requests; ``available`` False with ``reason`` when no sensor."""

    def __init__(self, device: torch.device, mode: str = "auto", counter_factory: Callable[[], Any] | None = None):
        self.device = torch.device(device)
        self.total_j = 0.0
        self.measured_s = 0.0
        self.unattributed_s = 0.0
        self.source = ""
        self._segment: _Segment | None = None
        self.counter = None
        self.reason: str | None = None
        if mode == "off":
            self.reason = "disabled: energy=off"
        elif counter_factory is not None:
            self.counter = counter_factory()
        else:
            self.reason = energy_sensor_reason(self.device)
            if self.reason is None:
                try:
                    self.counter = ZeusCounter(self.device)
                except ImportError:
                    self.reason = "zeus_not_installed: pip install 'codeeff[energy]'"
                except Exception as exc:  # zeus raises plain ValueError/RuntimeError when a sensor is missing
                    self.reason = f"zeus_unavailable: {exc}"
        if self.counter is not None:
            self.source = (
                f"zeus ({getattr(self.counter, 'sources', '') or 'counter'}): segments of consecutive batches >= 1 s; "
                "per-request energy_j is attributed from its segment by FLOPs share"
            )

    @property
    def available(self) -> bool:
        return self.counter is not None

    def add(self, stats: dict, weight: float) -> None:
        """Attach one request (its stats dict gets ``energy_j`` when the segment closes)."""
        if self.counter is None:
            return
        if self._segment is None:
            self.open()
        self._segment.items.append((stats, float(weight)))

    def open(self) -> None:
        if self.counter is not None and self._segment is None:
            self._segment = _Segment(self.counter.begin(), time.perf_counter())

    def maybe_close(self, force: bool = False) -> None:
        """Close the segment once it lasts >= 1 s (or when ``force``: the request method ends)."""
        seg = self._segment
        if seg is None:
            return
        duration = time.perf_counter() - seg.t0
        if duration < MIN_ENERGY_WINDOW_S and not force:
            return
        joules = self.counter.end(seg.key)
        self._segment = None
        if duration < MIN_ENERGY_WINDOW_S or joules is None:
            self.unattributed_s += duration
            for stats, _ in seg.items:
                stats["energy_j"] = None
            return
        self.total_j += joules
        self.measured_s += duration
        total_weight = sum(w for _, w in seg.items)
        for stats, weight in seg.items:
            share = weight / total_weight if total_weight > 0 else 1.0 / len(seg.items)
            stats["energy_j"] = joules * share
