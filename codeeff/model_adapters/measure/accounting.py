"""One codeeff-hf run's bookkeeping: logged steps, clocks and meters -> totals, per-request figures and the record.

The lm-eval model (:class:`codeeff.model_adapters.lm.CodeeffHFLM`) decides what runs; this module measures it:

* each request-method call (one per task when the call can be split) gets its own :class:`RunTotals`
  (:meth:`RunAccounting.measure_call`), merged into the run totals and the task's totals, across ranks in a
  data-parallel run (:meth:`RunAccounting.merge_calls`);
* each scoring forward / generate call is timed between device syncs and its execution log turned into executed and
  dense FLOPs (:meth:`scoring_forward`, :meth:`generation`);
* per-request figures are matched to requests through the context string each batch was encoded from (lm-eval hides
  ``Instance`` objects inside a batch); identical contexts with identical generation kwargs are interchangeable;
* :meth:`efficiency_record` builds ``results["config"]["efficiency"]`` (schema ``codeeff.efficiency/1``).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from codeeff.model_adapters.measure.device import environment, sync
from codeeff.model_adapters.measure.efficiency_record import SCHEMA, RunTotals, build_figures
from codeeff.model_adapters.measure.energy import EnergyMeter
from codeeff.model_adapters.measure.execution_log import ExecutionRecorder, cache_bytes
from codeeff.model_adapters.measure.flops import BREAKDOWN, StepLog, cached_equivalent_steps
from codeeff.model_adapters.measure.generation_stats import GenerationWithStats
from codeeff.model_adapters.measure.memory import PeakMemory

if TYPE_CHECKING:
    from codeeff.model_adapters.variant import LoadedVariant

MIXED_TASKS = "*"  # totals key of a request call that mixed tasks and could not be split
DENSE_CACHED_NOTE = (
    "the unmodified model with its KV cache over the same tokens (kv_mode=none generates without a cache and re-runs "
    "the prefix every step; per-token figures divide by prompt + generated positions, each counted once)"
)


def generated_lengths(out: torch.Tensor, context_len: int, stop_ids: set[int]) -> list[int]:
    """Tokens each row really generated (up to and including its first EOS/pad; HF pads finished rows)."""
    lengths = []
    for row in out[:, context_len:].tolist():
        n = len(row)
        for i, tok in enumerate(row):
            if tok in stop_ids:
                n = i + 1
                break
        lengths.append(n)
    return lengths


class RunAccounting:
    """The meters, the execution recorder and the totals of one loaded variant."""

    def __init__(
        self,
        variant: LoadedVariant,
        device: torch.device,
        energy_mode: str = "auto",
        training_cost: dict[str, Any] | None = None,
    ) -> None:
        self.variant = variant
        self.training_cost = training_cost  # what the variant cost to make (measure.training_cost), or None
        self.device = device
        self.recorder = ExecutionRecorder(variant.model, variant.num_layers, variant.early_exit)
        self.memory = PeakMemory(device)
        self.energy = EnergyMeter(device, energy_mode)
        self.totals = RunTotals()
        self.task_totals: dict[str, RunTotals] = {}
        self.mixed_calls = 0
        self.call: RunTotals | None = None  # the request-method call being measured
        self.cache_used = False  # lm-eval's request cache replayed some requests
        self.record_world_size = 1  # ranks whose totals were gathered
        self._row_stats: dict[str, deque] = defaultdict(deque)
        self._batch_contexts: list[str] = []
        self.kv_none = variant.generates_without_cache
        self.env = environment(device, variant.model)

    # ----- lifecycle -------------------------------------------------------------------------------------------
    def detach(self) -> None:
        self.recorder.close()

    def attach(self) -> None:
        self.recorder = ExecutionRecorder(self.variant.model, self.variant.num_layers, self.variant.early_exit)

    def reset(self) -> None:
        self.totals = RunTotals()
        self.task_totals = {}
        self.mixed_calls = 0
        self.memory.reset()

    # ----- request-method calls --------------------------------------------------------------------------------
    def measure_call(self, run: Callable[[], list], scoring_requests: int = 0) -> tuple[list, RunTotals]:
        """Run one request-method call with its own totals (energy segment closed at the end)."""
        e = self.energy
        start = (e.total_j, e.measured_s, e.unattributed_s)
        self.call = call = RunTotals()
        try:
            result = run()
        finally:
            self.energy.maybe_close(force=True)
            self.call = None
            call.energy_j = e.total_j - start[0]
            call.energy_measured_s = e.measured_s - start[1]
            call.energy_unattributed_s = e.unattributed_s - start[2]
            if call.gen_requests:  # a generate_until call: its energy is generation energy
                call.energy_gen_j = call.energy_j
            call.peak_memory_bytes = max(call.peak_memory_bytes, self.memory.peak_bytes() or 0)
        call.ll_requests += scoring_requests
        return result, call

    def merge_calls(self, calls: dict[str, RunTotals], world_size: int) -> None:
        """Add one request method's per-task call totals to the run (gathered from every rank when data-parallel)."""
        parts = [calls]
        if world_size > 1:
            import torch.distributed as dist

            parts = [None] * dist.get_world_size()
            dist.all_gather_object(parts, calls)
            self.record_world_size = max(self.record_world_size, len(parts))
        for part in parts:
            for task, totals in part.items():
                self.totals.merge(totals)
                if task == MIXED_TASKS:
                    self.mixed_calls += 1
                elif task:  # requests without a task name (direct calls) count in the run totals only
                    self.task_totals.setdefault(task, RunTotals()).merge(totals)

    # ----- per-request figures ---------------------------------------------------------------------------------
    def begin_generations(self) -> None:
        self._row_stats.clear()

    def note_batch_contexts(self, strings: list[str]) -> None:
        """The context strings of the batch about to be generated (matched to its rows' figures)."""
        self._batch_contexts = list(strings)

    def with_stats(self, context: str, text: str) -> str:
        """``text`` carrying the figures of one request generated from ``context`` (plain when there are none)."""
        queue = self._row_stats.get(context)
        return GenerationWithStats(text, queue.popleft()) if queue else text

    # ----- forwards --------------------------------------------------------------------------------------------
    def scoring_forward(self, forward: Callable[[], Any], simulated: bool) -> torch.Tensor:
        """Time and count one scoring forward; ``simulated``: it returns ``(logits, simulated exit depths)``."""
        ee = self.variant.early_exit
        self.recorder.drain()
        sync(self.device)
        t0 = time.perf_counter()
        out = forward()
        logits, sim_depth = out if simulated else (out, None)
        sync(self.device)
        t1 = time.perf_counter()
        steps = self.recorder.drain()
        if sim_depth is not None and steps:
            steps[-1].checks.append((ee.check_flops_per_row, ee.simulated_checks))
            # exit logits projected again (a confidence check's own logits are reused instead)
            steps[-1].checks.append((self.variant.cost.head_check_flops(), ee.simulated_reprojected))
        flops, dense = self._step_costs(steps)
        call = self.call
        call.ll_batches += 1
        call.ll_wall_s += t1 - t0
        self._add_flops(call, flops, dense, steps)
        if sim_depth is not None:
            call.sim_positions += sim_depth.numel()
            call.sim_depth_sum += int(sim_depth.sum())
            for depth, count in zip(*torch.unique(sim_depth, return_counts=True), strict=True):
                call.sim_depth_hist[int(depth)] = call.sim_depth_hist.get(int(depth), 0) + int(count)
        self.energy.add({}, sum(flops.values()))
        self.energy.maybe_close()
        return logits

    def generation(self, context: torch.Tensor, generate: Callable[[], torch.Tensor], stop_ids: set[int]) -> Any:
        """Time and count one batched generate call; its rows' figures wait for :meth:`with_stats`."""
        self.recorder.drain()
        sync(self.device)
        t0 = time.perf_counter()
        out = generate()
        sync(self.device)
        t1 = time.perf_counter()
        first_end = self.recorder.first_step_end or t1
        kv_bytes = cache_bytes(self.recorder.last_cache) if self.recorder.last_cache is not None else 0
        steps = self.recorder.drain()
        self._account_generation(context, out, steps, t0, first_end, t1, kv_bytes, stop_ids)
        return out

    # ----- accounting ------------------------------------------------------------------------------------------
    def _step_costs(self, steps: list[StepLog], dense_steps: list[StepLog] | None = None) -> tuple[dict[str, int], int]:
        flops = dict.fromkeys(BREAKDOWN, 0)
        for step in steps:
            for name, value in self.variant.cost.step_flops(step).items():
                flops[name] += value
        windows = self.variant.windows
        dense = sum(self.variant.dense_cost.dense_step_flops(s, windows) for s in (dense_steps or steps))
        return flops, dense

    @staticmethod
    def _add_flops(call: RunTotals, flops: dict[str, int], dense: int, steps: list[StepLog],
                   position_steps: list[StepLog] | None = None) -> None:  # fmt: skip
        for name, value in flops.items():
            call.flops[name] = call.flops.get(name, 0) + value
        call.flops_dense += dense
        call.positions += sum(s.batch * s.q_len for s in (position_steps or steps))
        call.exit_checks += sum(s.n_checks for s in steps)

    def _account_generation(self, context, out, steps: list[StepLog], t0: float, first_end: float, t1: float,
                            kv_bytes: int, stop_ids: set[int]) -> None:  # fmt: skip
        call = self.call
        batch = int(context.shape[0])
        # kv_mode=none re-runs the prefix each step; its dense reference (and its positions) are the cached model's
        dense_steps = cached_equivalent_steps(steps, self.variant.num_layers) if self.kv_none else None
        flops, dense = self._step_costs(steps, dense_steps)
        self._add_flops(call, flops, dense, steps, dense_steps)
        n_layers = self.variant.num_layers
        executed = [len(s.layers_run) if s.layers_run is not None else n_layers for s in steps]
        gen_lengths = generated_lengths(out, int(context.shape[1]), stop_ids)
        batch_flops = sum(flops.values())
        rows = []
        for row, n_gen in enumerate(gen_lengths):
            row_steps = range(min(n_gen, len(steps)))
            layer_sum = sum(executed[s] for s in row_steps)
            call.layer_token_sum += layer_sum
            for s in row_steps:
                depth = steps[s].exit_depth[row] if steps[s].exit_depth is not None else executed[s]
                call.exit_depth_hist[depth] = call.exit_depth_hist.get(depth, 0) + 1
            stats = {
                "flops": batch_flops / batch,
                "flops_dense": dense / batch,
                "latency_s": t1 - t0,
                "gen_tokens": n_gen,
                "layers_per_token": layer_sum / len(row_steps) if len(row_steps) else None,
                "energy_j": None,
            }
            rows.append(stats)
            if self.energy.available:
                self.energy.add(stats, batch_flops / batch)
        self.energy.maybe_close()
        for text, stats in zip(self._batch_contexts, rows, strict=False):
            self._row_stats[text].append(stats)
        call.gen_requests += batch
        call.gen_batches += 1
        call.gen_tokens += sum(gen_lengths)
        call.prefill_s += first_end - t0
        call.decode_s += t1 - first_end
        call.gen_wall_s += t1 - t0
        call.latency_sum_s += (t1 - t0) * batch
        call.kv_cache_bytes_max = max(call.kv_cache_bytes_max, kv_bytes)

    # ----- the record ------------------------------------------------------------------------------------------
    def _figures(self, totals: RunTotals) -> dict[str, Any]:
        return build_figures(
            totals,
            self.variant.static_facts(),
            self.energy.reason,
            self.energy.source,
            self.memory.source,
            self.cache_used,
            dense_reference=DENSE_CACHED_NOTE if self.kv_none else None,
        )

    def _per_task(self) -> dict[str, Any]:
        """``tasks``: each task's own figures and request counts, when every request call could be split by task."""
        if self.mixed_calls:
            return {
                "tasks_reason": "request calls mixing tasks could not be split (data-parallel with batch_size=auto "
                "or rolling loglikelihood); the figures cover all tasks together"
            }
        return {
            "tasks": {
                task: {
                    "figures": self._figures(totals),
                    "requests": {"generate_until": totals.gen_requests, "loglikelihood": totals.ll_requests},
                    "exit_histogram": {str(k): v for k, v in sorted(totals.exit_depth_hist.items())},
                }
                for task, totals in sorted(self.task_totals.items())
            }
        }

    def efficiency_record(self) -> dict[str, Any]:
        ee = self.variant.early_exit
        totals = self.totals
        record = {
            "schema": SCHEMA,
            "variant": {
                "spec": self.variant.spec.to_dict(),
                "hash": self.variant.spec.hash,
                "summary": self.variant.spec.summary(),
                "source": self.variant.spec.source,
                "transforms": self.variant.stack.describe(),
                "training_cost": self.training_cost,
            },
            "figures": self._figures(totals),
            "exit_histogram": {str(k): v for k, v in sorted(totals.exit_depth_hist.items())},
            "modes": {
                "generate_until": "real",
                "loglikelihood": "simulated" if ee is not None and ee.dynamic else "real",
            },
            "requests": {"generate_until": totals.gen_requests, "loglikelihood": totals.ll_requests},
            "cache_used": self.cache_used,
            "world_size": self.record_world_size,
            "environment": self.env,
            **self._per_task(),
        }
        if totals.sim_depth_hist:
            record["simulated_exit_histogram"] = {str(k): v for k, v in sorted(totals.sim_depth_hist.items())}
        return record
