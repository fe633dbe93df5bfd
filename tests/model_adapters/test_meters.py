"""Meters: energy is null with a reason without a sensor; segments >= 1 s are attributed by weight; memory/KV bytes."""

from __future__ import annotations

import torch

from codeeff.model_adapters.measure import energy
from codeeff.model_adapters.measure.efficiency_record import RunTotals, build_figures
from codeeff.model_adapters.measure.energy import EnergyMeter, energy_sensor_reason
from codeeff.model_adapters.measure.execution_log import cache_bytes
from codeeff.model_adapters.measure.memory import PeakMemory


def test_no_sensor_gives_null_energy_with_reason():
    reason = energy_sensor_reason(torch.device("cpu"))
    if torch.cuda.is_available():  # pragma: no cover - GPU machines have a sensor
        return
    meter = EnergyMeter(torch.device("cpu"))
    if meter.available:  # a readable RAPL counter exists on this machine
        return
    assert reason and meter.reason == reason
    stats: dict = {}
    meter.add(stats, 1.0)
    meter.maybe_close(force=True)
    assert stats == {}  # nothing attributed, nothing invented
    figures = build_figures(
        RunTotals(positions=10, flops={"linear": 100}), {"params": 1, "param_bytes": 4, "params_baseline": 1},
        meter.reason, meter.source, "VmHWM", cache_used=False,
    )  # fmt: skip
    assert figures["energy_j"] == {
        "value": None, "unit": "J", "status": "unavailable", "source": "", "reason": reason
    }  # fmt: skip
    assert EnergyMeter(torch.device("cpu"), mode="off").reason.startswith("disabled")


class _Counter:
    """A joule counter driven by the test's clock, standing in for NVML/RAPL (absent on CI machines)."""

    sources = "test-counter"

    def __init__(self, clock: list[float], watts: float):
        self.clock, self.watts, self.open = clock, watts, {}

    def begin(self):
        key = len(self.open)
        self.open[key] = self.clock[0]
        return key

    def end(self, key):
        return (self.clock[0] - self.open.pop(key)) * self.watts


def test_segments_merge_to_one_second_and_attribute_by_weight(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(energy.time, "perf_counter", lambda: clock[0])
    meter = EnergyMeter(torch.device("cpu"), counter_factory=lambda: _Counter(clock, watts=50.0))
    a, b, c = {}, {}, {}
    meter.add(a, 1.0)
    clock[0] = 0.4
    meter.maybe_close()  # 0.4 s: too short, the segment stays open
    assert "energy_j" not in a
    meter.add(b, 3.0)
    clock[0] = 1.2
    meter.maybe_close()  # 1.2 s * 50 W = 60 J over weights 1:3
    assert a["energy_j"] == 15.0 and b["energy_j"] == 45.0
    meter.add(c, 1.0)
    clock[0] = 1.5
    meter.maybe_close(force=True)  # the request method ended after 0.3 s: below resolution -> null, not 0
    assert c["energy_j"] is None
    assert meter.total_j == 60.0 and meter.measured_s == 1.2 and abs(meter.unattributed_s - 0.3) < 1e-9


def test_peak_memory_and_kv_bytes():
    peak = PeakMemory(torch.device("cpu"))
    before = peak.peak_bytes()
    block = torch.ones(64 * 1024 * 1024 // 4)  # 64 MiB
    block += 1
    assert peak.peak_bytes() >= before and peak.peak_bytes() > 64 * 1024 * 1024
    from transformers import DynamicCache

    from codeeff.model_adapters.tiny import build_config

    cache = DynamicCache(config=build_config("llama"))
    keys = torch.zeros(2, 2, 5, 16)
    for layer in range(4):
        cache.update(keys.clone(), keys.clone(), layer)
    assert cache_bytes(cache) == 4 * 2 * keys.numel() * 4


def test_energy_per_generated_token_and_per_position_are_separate_figures():
    """60 J over 100 positions (prompt + padding + generated), 45 J of it while generating 10 tokens."""
    totals = RunTotals(
        positions=100, gen_tokens=10, gen_requests=1, energy_j=60.0, energy_gen_j=45.0, energy_measured_s=2.0
    )
    figures = build_figures(
        totals, {"params": 1, "param_bytes": 4, "params_baseline": 1}, None, "zeus (test)", "VmHWM", cache_used=False
    )
    assert "energy_j_per_token" not in figures  # the ambiguous name is gone
    assert figures["energy_j_per_generated_token"]["value"] == 4.5
    assert figures["energy_j_per_generated_token"]["unit"] == "J/generated token"
    assert figures["energy_j_per_position"]["value"] == 0.6
    no_gen = build_figures(
        RunTotals(positions=100, energy_j=60.0, energy_measured_s=2.0), {"params": 1, "param_bytes": 4,
        "params_baseline": 1}, None, "zeus (test)", "VmHWM", cache_used=False,
    )  # fmt: skip
    assert no_gen["energy_j_per_generated_token"]["value"] is None
    assert no_gen["energy_j_per_generated_token"]["reason"]
