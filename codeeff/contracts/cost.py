"""Cost vocabulary: per-sample cost metrics and run-level efficiency figures, with units and direction.

Per-sample cost metrics are what a codeeff task emits for each document (lm-eval averages them per task; each is
declared in the task's ``metric_list`` with ``aggregation: mean``). Efficiency figures are the run-level figures of
the efficiency record (``results["config"]["efficiency"]["figures"]``, schema :data:`codeeff.contracts.records.
EFFICIENCY_SCHEMA`); a record may hold more figures than listed here (per-part FLOPs, exit depths), which consumers
keep under their own names.

``kind`` says what a figure measures (``size``, ``compute``, ``time``, ``memory``, ``energy``, ``count``);
``machine_dependent`` says whether the value depends on the machine that ran it (wall clock, throughput, energy,
process memory), so two values are comparable only when measured on the same machine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One cost quantity: its name, unit, which direction is better, what it measures."""

    name: str
    unit: str
    higher_is_better: bool
    kind: str
    machine_dependent: bool = False


KINDS = ("size", "compute", "time", "memory", "energy", "count")

# Per generation request, in the order a task's metric_list declares them.
SAMPLE_COST: tuple[Figure, ...] = (
    Figure("flops", "FLOPs", False, "compute"),
    Figure("flops_dense", "FLOPs", False, "compute"),
    Figure("latency_s", "s", False, "time", machine_dependent=True),
    Figure("gen_tokens", "tokens", True, "count"),
    Figure("layers_per_token", "layers", False, "compute"),
    Figure("energy_j", "J", False, "energy", machine_dependent=True),
)
SAMPLE_COST_METRICS: tuple[str, ...] = tuple(f.name for f in SAMPLE_COST)

# Per run, in the leaderboard's column order.
EFFICIENCY: tuple[Figure, ...] = (
    Figure("params", "parameters", False, "size"),
    Figure("param_bytes", "bytes", False, "size"),
    Figure("compression_ratio", "ratio", True, "size"),
    Figure("flops_per_token", "FLOPs/token", False, "compute"),
    Figure("flops_dense_per_token", "FLOPs/token", False, "compute"),
    Figure("layers_per_token", "layers", False, "compute"),
    Figure("tokens_per_s", "tokens/s", True, "time", machine_dependent=True),
    Figure("latency_s_mean", "s", False, "time", machine_dependent=True),
    Figure("prefill_s", "s", False, "time", machine_dependent=True),
    Figure("decode_s", "s", False, "time", machine_dependent=True),
    Figure("peak_memory_bytes", "bytes", False, "memory", machine_dependent=True),
    Figure("kv_cache_bytes", "bytes", False, "memory"),
    Figure("energy_j", "J", False, "energy", machine_dependent=True),
    Figure("energy_j_per_generated_token", "J/generated token", False, "energy", machine_dependent=True),
    Figure("energy_j_per_position", "J/position", False, "energy", machine_dependent=True),
    Figure("resident_bytes", "bytes", False, "memory", machine_dependent=True),
    Figure("gen_tokens", "tokens", True, "count"),
)
EFFICIENCY_FIGURE_NAMES: tuple[str, ...] = tuple(f.name for f in EFFICIENCY)

SAMPLE_COST_BY_NAME: dict[str, Figure] = {f.name: f for f in SAMPLE_COST}
EFFICIENCY_BY_NAME: dict[str, Figure] = {f.name: f for f in EFFICIENCY}


def efficiency_unit(name: str) -> str:
    """The unit of an efficiency figure (``KeyError`` naming the known figures for an unknown one)."""
    try:
        return EFFICIENCY_BY_NAME[name].unit
    except KeyError:
        raise KeyError(f"unknown efficiency figure {name!r}; known: {', '.join(EFFICIENCY_FIGURE_NAMES)}") from None
