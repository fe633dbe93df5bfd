"""The run-level efficiency record (``results["config"]["efficiency"]``, schema ``codeeff.efficiency/1``).

Every figure is ``{value, unit, status, source, reason}``; ``status`` is one of ``measured`` (read from a clock,
counter or tensor), ``derived`` (computed from measured quantities or from the analytic cost model over the
execution log), ``attributed`` (a measured total split over requests), ``estimated``/``simulated``-labelled (not what
ran) or ``unavailable`` (``value`` null, ``reason`` says why -- never a silent 0).

:class:`RunTotals` holds only additive counters, maxima and histograms, so per-rank totals of a data-parallel run
merge exactly (:func:`gather_totals`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from codeeff.contracts.cost import efficiency_unit
from codeeff.contracts.records import EFFICIENCY_SCHEMA

SCHEMA = EFFICIENCY_SCHEMA
STATUSES = ("measured", "derived", "attributed", "estimated", "unavailable")
FLOPS_SOURCE = "analytic cost model over the execution log (layers run, shapes, exit checks, K/V fill)"
PER_POSITION = "; per processed position (prompt, generated and scored positions, padding included)"


def figure(value: float | int | None, unit: str, status: str, source: str, reason: str | None = None) -> dict[str, Any]:
    if status not in STATUSES:
        raise ValueError(f"unknown figure status {status!r}")
    if value is None and status != "unavailable":
        status = "unavailable"
    return {"value": value, "unit": unit, "status": status, "source": source, "reason": reason}


def unavailable(unit: str, reason: str, source: str = "") -> dict[str, Any]:
    return figure(None, unit, "unavailable", source, reason)


@dataclass
class RunTotals:
    """Additive totals of the requests this process (or, after gathering, every rank) actually ran."""

    gen_requests: int = 0
    gen_batches: int = 0
    gen_tokens: int = 0  # generated tokens, padding of finished rows excluded
    ll_requests: int = 0
    ll_batches: int = 0
    positions: int = 0  # every position a forward processed (prompt, generated, scored; padding included)
    flops: dict[str, int] = field(default_factory=dict)  # executed, by breakdown category
    flops_dense: int = 0
    layer_token_sum: int = 0  # sum over generated tokens of layers executed in their step
    exit_depth_hist: dict[int, int] = field(default_factory=dict)  # per generated token: depth its row used
    exit_checks: int = 0
    sim_positions: int = 0  # loglikelihood positions with a simulated dynamic exit
    sim_depth_sum: int = 0
    sim_depth_hist: dict[int, int] = field(default_factory=dict)
    prefill_s: float = 0.0
    decode_s: float = 0.0
    gen_wall_s: float = 0.0
    ll_wall_s: float = 0.0
    latency_sum_s: float = 0.0
    kv_cache_bytes_max: int = 0
    peak_memory_bytes: int = 0
    energy_j: float = 0.0
    energy_gen_j: float = 0.0  # the part measured during generate_until calls
    energy_measured_s: float = 0.0
    energy_unattributed_s: float = 0.0
    world_size: int = 1

    _MAX_FIELDS = ("kv_cache_bytes_max", "peak_memory_bytes")

    def merge(self, other: RunTotals) -> None:
        for f in fields(self):
            name = f.name
            mine, theirs = getattr(self, name), getattr(other, name)
            if name == "world_size":
                continue
            if name in self._MAX_FIELDS:
                setattr(self, name, max(mine, theirs))
            elif isinstance(mine, dict):
                merged = Counter(mine)
                merged.update(theirs)
                setattr(self, name, dict(merged))
            else:
                setattr(self, name, mine + theirs)

    @property
    def flops_total(self) -> int:
        return sum(self.flops.values())


def gather_totals(local: RunTotals) -> RunTotals:
    """Sum one request call's totals over all ranks (every rank calls this once per request method call).

    Uses ``torch.distributed`` directly (accelerate's data-parallel launch initialises it), so it works for any
    backend; with one process it returns ``local`` unchanged.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return local
    parts: list[RunTotals | None] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, local)
    merged = RunTotals()
    for part in parts:
        merged.merge(part)
    merged.world_size = len(parts)
    return merged


DENSE_SOURCE = "same shapes through the unmodified architecture (every layer, original modules)"


def build_figures(totals: RunTotals, static: dict[str, Any], energy_reason: str | None, energy_source: str,
                  memory_source: str, cache_used: bool, dense_reference: str | None = None,
                  ) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The figures of the record from run totals plus static model facts (params, bytes, baseline params).

    ``dense_reference`` replaces the description of what the dense figures measure when it is not the same shapes
    through the unmodified model (early exit ``kv_mode=none``: the unmodified model *with* its KV cache).
    """
    dense_source = DENSE_SOURCE if dense_reference is None else f"dense reference: {dense_reference}"
    note = "lm-eval --use_cache: replayed requests did not run and are not counted" if cache_used else None
    figs: dict[str, dict[str, Any]] = {}
    figs["params"] = figure(
        static["params"], efficiency_unit("params"), "measured", "unique parameter storages of the model"
    )
    figs["param_bytes"] = figure(
        static["param_bytes"], efficiency_unit("param_bytes"), "measured", "unique parameter storages (nbytes)"
    )
    if "resident_bytes" in static:
        figs["resident_bytes"] = figure(
            static["resident_bytes"], efficiency_unit("resident_bytes"), "measured",
            "memory to load the variant: unique storages of the parameters and buffers its modules hold",
        )  # fmt: skip
    figs["compression_ratio"] = figure(
        static["params"] / static["params_baseline"], efficiency_unit("compression_ratio"), "derived",
        "params of the variant / params of the unmodified model (CR of Simionato, Politecnico di Milano 2024, §5.1; "
        "< 1 is smaller)",
    )  # fmt: skip

    tokens = totals.positions
    if tokens:
        flops_note = note
        figs["flops_per_token"] = figure(
            totals.flops_total / tokens,
            efficiency_unit("flops_per_token"),
            "derived",
            FLOPS_SOURCE + PER_POSITION,
            flops_note,
        )
        figs["flops_dense_per_token"] = figure(
            totals.flops_dense / tokens, efficiency_unit("flops_dense_per_token"), "derived",
            dense_source + PER_POSITION, flops_note,
        )  # fmt: skip
        figs["flops_total"] = figure(totals.flops_total, "FLOPs", "derived", FLOPS_SOURCE, flops_note)
        figs["flops_dense_total"] = figure(totals.flops_dense, "FLOPs", "derived", dense_source, flops_note)
        for name, value in sorted(totals.flops.items()):
            figs[f"flops_{name}"] = figure(value, "FLOPs", "derived", f"{FLOPS_SOURCE}: {name} part", flops_note)
    else:
        nothing_ran = note or "no requests ran in this process"
        figs["flops_per_token"] = unavailable(efficiency_unit("flops_per_token"), nothing_ran)
        figs["flops_dense_per_token"] = unavailable(efficiency_unit("flops_dense_per_token"), nothing_ran)

    no_gen = note or "no generate_until requests ran"
    if totals.gen_tokens:
        figs["layers_per_token"] = figure(
            totals.layer_token_sum / totals.gen_tokens, efficiency_unit("layers_per_token"), "measured",
            "decoder layers executed in the step of each generated token (execution log)", note,
        )  # fmt: skip
        depth_sum = sum(d * c for d, c in totals.exit_depth_hist.items())
        depth_n = sum(totals.exit_depth_hist.values())
        if depth_n:
            figs["exit_layer_mean"] = figure(
                depth_sum / depth_n, "layers", "measured", "per generated token: the depth its own row exited at",
                note,
            )  # fmt: skip
        figs["prefill_s"] = figure(
            totals.prefill_s,
            efficiency_unit("prefill_s"),
            "measured",
            "wall clock, first forward of each generate",
            note,
        )
        figs["decode_s"] = figure(
            totals.decode_s,
            efficiency_unit("decode_s"),
            "measured",
            "wall clock, generate minus its first forward",
            note,
        )
        figs["tokens_per_s"] = figure(
            totals.gen_tokens / totals.gen_wall_s if totals.gen_wall_s else None, efficiency_unit("tokens_per_s"),
            "derived",
            "generated tokens / generate wall time (prefill + decode)", note,
        )  # fmt: skip
        figs["latency_s_mean"] = figure(
            totals.latency_sum_s / totals.gen_requests, efficiency_unit("latency_s_mean"), "measured",
            "per request: wall time of the batched generate call that produced it", note,
        )  # fmt: skip
        figs["kv_cache_bytes"] = figure(
            totals.kv_cache_bytes_max or None, efficiency_unit("kv_cache_bytes"), "measured",
            "largest KV cache at the end of a generate call (sum of cached tensors' nbytes)",
            note if totals.kv_cache_bytes_max else "generation ran without a KV cache",
        )  # fmt: skip
    else:
        figs["layers_per_token"] = unavailable(efficiency_unit("layers_per_token"), no_gen)
        figs["prefill_s"] = unavailable(efficiency_unit("prefill_s"), no_gen)
        figs["decode_s"] = unavailable(efficiency_unit("decode_s"), no_gen)
        figs["tokens_per_s"] = unavailable(efficiency_unit("tokens_per_s"), no_gen)
        figs["latency_s_mean"] = unavailable(efficiency_unit("latency_s_mean"), no_gen)
        figs["kv_cache_bytes"] = unavailable(efficiency_unit("kv_cache_bytes"), no_gen)
    figs["gen_tokens"] = figure(
        totals.gen_tokens, efficiency_unit("gen_tokens"), "measured", "generated tokens (padding excluded)", note
    )
    if totals.ll_requests:
        figs["loglikelihood_s"] = figure(totals.ll_wall_s, "s", "measured", "wall clock of scoring forwards", note)
    if totals.sim_positions:
        figs["layers_per_token_simulated"] = figure(
            totals.sim_depth_sum / totals.sim_positions, "layers", "estimated",
            "loglikelihood with a dynamic policy: simulated exits computed from all hidden states of one full pass "
            "(the full pass is what ran and what flops_* count)",
            "simulated: a scoring forward cannot skip layers per position",
        )  # fmt: skip
    figs["exit_checks"] = figure(totals.exit_checks, "checks", "measured", "exit-policy evaluations (rows)", note)
    kept = static.get("dense_released") is False and static.get("params") != static.get("params_baseline")
    memory_note = "; includes the dense modules kept for restore() (keep_dense=true)" if kept else ""
    figs["peak_memory_bytes"] = figure(
        totals.peak_memory_bytes or None,
        efficiency_unit("peak_memory_bytes"),
        "measured",
        memory_source + memory_note,
        note,
    )

    figs.update(_energy_figures(totals, energy_reason, energy_source, note))
    return figs


# energy figure per unit -> how it is divided
ENERGY_PER = {
    "energy_j_per_generated_token": "energy of generate_until calls / gen_tokens (generated tokens, padding excluded)",
    "energy_j_per_position": "energy_j / every processed position (prompt, generated and scored positions, padding "
    "included)",
}


def _energy_figures(totals: RunTotals, reason: str | None, source: str, note: str | None) -> dict[str, dict]:
    """``energy_j`` and its two per-unit figures (per generated token; per processed position)."""
    if reason is None and totals.energy_measured_s == 0:
        reason = "no measurement segment reached 1 s (energy counters update about every 100 ms)"
    if reason is not None:
        out = {
            "energy_j": unavailable(
                efficiency_unit("energy_j"), reason, source if totals.energy_measured_s == 0 else ""
            )
        }
        out.update({name: unavailable(efficiency_unit(name), reason) for name in ENERGY_PER})
        return out
    partial = (
        f"{totals.energy_unattributed_s:.2f} s of segments shorter than 1 s were not measured"
        if totals.energy_unattributed_s
        else None
    )
    out = {"energy_j": figure(totals.energy_j, efficiency_unit("energy_j"), "measured", source, partial or note)}
    for name, joules, denominator in (("energy_j_per_generated_token", totals.energy_gen_j, totals.gen_tokens),
                                      ("energy_j_per_position", totals.energy_j, totals.positions)):  # fmt: skip
        value = joules / denominator if denominator else None
        why = partial or note if value is not None else "nothing to divide by (no such tokens ran)"
        out[name] = figure(value, efficiency_unit(name), "derived", f"{source}; {ENERGY_PER[name]}", why)
    return out
