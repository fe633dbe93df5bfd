"""Peak memory since a reset: the CUDA caching allocator's peak on GPU; on CPU the process's peak resident set
(``VmHWM``), reset through ``/proc/self/clear_refs`` when the kernel allows it. ``tracemalloc`` cannot see tensor
storage.
"""

from __future__ import annotations

from pathlib import Path

import torch


def _status_kib(field_name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class PeakMemory:
    """Peak memory since :meth:`reset` (CUDA allocator on GPU, process peak RSS on CPU)."""

    def __init__(self, device: torch.device):
        self.device = torch.device(device)
        self.reset_ok = False
        self.reset()

    @property
    def source(self) -> str:
        if self.device.type == "cuda":
            return "torch.cuda.max_memory_allocated"
        suffix = "since model load" if self.reset_ok else "since process start (clear_refs not permitted)"
        return f"VmHWM /proc/self/status (peak RSS {suffix})"

    def reset(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self.reset_ok = True
            return
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.reset_ok = True
        except OSError:
            self.reset_ok = False

    def peak_bytes(self) -> int | None:
        if self.device.type == "cuda":
            return int(torch.cuda.max_memory_allocated(self.device))
        return _status_kib("VmHWM")
