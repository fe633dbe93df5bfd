"""``codeeff-hf``: lm-eval's HF model with a variant applied at runtime and an honest efficiency record.

Usage::

    codeeff run --model codeeff-hf --model_args pretrained=PATH,early_exit=fixed:8 --tasks ...
    codeeff run --model codeeff-hf --model_args '{"pretrained": "PATH", "exit_layers": [4, 6, 8], ...}' ...
    codeeff run --model codeeff-hf --model_args pretrained=PATH,spec=variant.yaml ...

The variant keys (table in :mod:`codeeff.model_adapters.spec`) are parsed and checked against the model config
before the weights load. Per request, ``generate_until`` returns :class:`GenerationWithStats` strings carrying
``flops``, ``flops_dense``, ``latency_s``, ``gen_tokens``, ``layers_per_token`` and ``energy_j`` (codeeff tasks emit
them as per-sample metrics); per run, ``get_model_info()`` adds ``efficiency`` (schema ``codeeff.efficiency/1``) to
``results["config"]``, so built-in tasks get it too.

Per-request figures are matched to requests through the context string each batch was encoded from (lm-eval hides
``Instance`` objects inside a batch); identical contexts with identical generation kwargs are interchangeable.
Replayed requests under ``--use_cache`` never reach the model: their strings carry no figures and the record says
the totals exclude them. In a data-parallel run every rank gathers its totals inside each request method.

Multi-task runs: lm-eval hands all tasks' requests of one type to one call, so each call is split by the requests'
``task_name`` and every task gets its own totals (``record["tasks"][task]``). Splitting is skipped where it could
desynchronise ranks (data-parallel with ``batch_size=auto`` or rolling loglikelihood, whose HF code gathers inside);
then a call that mixes tasks leaves the run without a per-task breakdown, and the record says why.

Data-parallel: ``torchrun``/``accelerate launch`` start one process per rank. lm-eval's HF model shards requests only
across GPUs; on CPU codeeff-hf makes accelerate use its multi-CPU (gloo) state and shards the same way.
"""

from __future__ import annotations

import difflib
import inspect
import os
import time
from collections import defaultdict, deque
from typing import Any

import torch
from lm_eval.api.registry import register_model
from lm_eval.models.huggingface import HFLM

from codeeff.model_adapters.arch import spec_for_config
from codeeff.model_adapters.cost import BREAKDOWN, StepLog, cached_equivalent_steps
from codeeff.model_adapters.meters import EnergyMeter, PeakMemory, environment, sync
from codeeff.model_adapters.record import SCHEMA, RunTotals, build_figures
from codeeff.model_adapters.recorder import ExecutionRecorder, cache_bytes
from codeeff.model_adapters.spec import (
    KEYS,
    VariantSpec,
    VariantSpecError,
    parse_variant,
    rejoin_comma_split,
    validate_against_config,
)
from codeeff.model_adapters.stats import GenerationWithStats
from codeeff.model_adapters.training_cost import record_paths, training_cost
from codeeff.model_adapters.transform import BuildContext
from codeeff.model_adapters.variant import LoadedVariant

SPEC_FILE_ARG = "spec"
MIXED_TASKS = "*"  # totals key of a request call that mixed tasks and could not be split
DENSE_CACHED_NOTE = (
    "the unmodified model with its KV cache over the same tokens (kv_mode=none generates without a cache and re-runs "
    "the prefix every step; per-token figures divide by prompt + generated positions, each counted once)"
)
# from_pretrained options HFLM forwards untouched; anything else unknown is a typo and refused before loading.
_FROM_PRETRAINED_KEYS = frozenset(
    {
        "attn_implementation", "low_cpu_mem_usage", "device_map", "quantization_config", "local_files_only",
        "cache_dir", "token", "use_safetensors", "variant", "torch_dtype", "max_memory", "offload_state_dict",
    }
)  # fmt: skip


def _split_model_args(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(variant keys, HFLM/from_pretrained keys); unknown keys raise one clear error."""
    kwargs = rejoin_comma_split(kwargs)
    variant = {k: kwargs.pop(k) for k in list(kwargs) if k in KEYS}
    hflm_params = set(inspect.signature(HFLM.__init__).parameters)
    unknown = [k for k in kwargs if k not in hflm_params and k not in _FROM_PRETRAINED_KEYS]
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), [*KEYS, *hflm_params], n=1, cutoff=0.7)
            hints.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise VariantSpecError(
            f"codeeff-hf: unknown model_args key(s): {', '.join(hints)}. Variant keys: {', '.join(sorted(KEYS))}, "
            f"{SPEC_FILE_ARG}=FILE; plus lm-eval's hf arguments"
        )
    return variant, kwargs


def _load_config(pretrained: Any, kwargs: dict[str, Any]) -> Any:
    if not isinstance(pretrained, str):
        return pretrained.config
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(
            pretrained,
            revision=kwargs.get("revision") or "main",
            subfolder=kwargs.get("subfolder") or "",
            trust_remote_code=bool(kwargs.get("trust_remote_code", False)),
        )
    except OSError as exc:
        raise VariantSpecError(f"codeeff-hf: cannot read the model config of '{pretrained}': {exc}") from None


def _launched_data_parallel() -> bool:
    """True in a process started by torchrun / accelerate launch with more than one rank."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) > 1
    except ValueError:
        return False


def _generated_lengths(out: torch.Tensor, context_len: int, stop_ids: set[int]) -> list[int]:
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


def _check_recompute_batch(variant: VariantSpec, batch_size: Any) -> None:
    """Deferred recompute runs batch size 1 only (refused before the weights load)."""
    values = variant.values
    dynamic = values.get("early_exit", "none") != "none" and not str(values["early_exit"]).startswith("fixed")
    if dynamic and values.get("kv_mode") == "recompute" and str(batch_size) != "1":
        raise VariantSpecError(
            f"kv_mode=recompute runs batch size 1 only (got batch_size={batch_size}: a batch could only exit when "
            "every row agrees, which in practice never happens); pass --batch_size 1 or use kv_mode=copy"
        )


@register_model("codeeff-hf")
class CodeeffHFLM(HFLM):
    """HFLM + a runtime variant (early exit / attention bypass / factorization) + the efficiency record."""

    def __init__(self, pretrained: Any, spec: str | None = None, **kwargs: Any) -> None:
        variant_args, hf_args = _split_model_args(kwargs)
        variant = parse_variant(variant_args, spec_file=spec)
        try:  # what the variant cost to make, read before the weights load so a bad path fails fast
            self._training_cost = training_cost(record_paths(variant.values.get("training"), pretrained))
        except ValueError as exc:
            raise VariantSpecError(str(exc)) from None
        config = _load_config(pretrained, hf_args)
        spec_for_config(config)  # unsupported family -> clear error before the weights load
        validate_against_config(variant, config)
        _check_recompute_batch(variant, hf_args.get("batch_size", 1))
        if not hf_args.get("device"):  # lm-eval's HF model defaults to "cuda" even where torch has none
            hf_args["device"] = "cuda" if torch.cuda.is_available() else "cpu"
        multi_cpu = _launched_data_parallel() and not torch.cuda.is_available()
        if multi_cpu:  # without it accelerate sees a CPU-only torchrun rank as a single process
            os.environ.setdefault("ACCELERATE_USE_CPU", "true")
        super().__init__(pretrained=pretrained, **hf_args)
        if multi_cpu:
            self._shard_across_cpu_ranks(bool(hf_args.get("parallelize")))
        self._setup(variant)

    def _shard_across_cpu_ranks(self, parallelize: bool) -> None:
        """Data-parallel on CPU: HFLM shards only over GPUs, so take rank and world size from accelerate here."""
        accelerator = getattr(self, "accelerator", None)
        if accelerator is None or accelerator.num_processes < 2 or self._world_size > 1 or parallelize:
            return
        self._rank = accelerator.process_index
        self._world_size = accelerator.num_processes

    # ----- setup ---------------------------------------------------------------------------------------------
    def _setup(self, variant: VariantSpec) -> None:
        model = self.model
        context = BuildContext(
            tokenizer=self.tokenizer,
            device=str(self.device),
            calib=variant.values.get("calib"),
            calib_n=variant.values.get("calib_n", 32),
        )
        self.variant = LoadedVariant(model, variant, context)
        if not variant.values.get("keep_dense", False):  # memory figures then count the variant's own weights only
            self.variant.release_originals()
        self._recorder = ExecutionRecorder(model, self.variant.num_layers, self.variant.early_exit)
        self._memory = PeakMemory(self.device)
        self._energy = EnergyMeter(self.device, variant.values.get("energy", "auto"))
        self._totals = RunTotals()
        self._task_totals: dict[str, RunTotals] = {}
        self._mixed_calls = 0
        self._call: RunTotals | None = None
        self._row_stats: dict[str, deque] = defaultdict(deque)
        self._batch_contexts: list[str] = []
        self._cache_used = False
        self._probing = False
        self._record_world_size = 1  # ranks whose totals were gathered (HFLM's own _world_size stays HFLM's)
        ee = self.variant.early_exit
        self._kv_none = ee is not None and ee.dynamic and ee.kv_mode == "none"
        self._env = environment(self.device, model)

    @property
    def totals(self) -> RunTotals:
        return self._totals

    def detach(self) -> None:
        """Give back the unmodified model: transforms restored, recorder hooks removed (for same-process A/B runs)."""
        self._recorder.close()
        self.variant.restore()

    def attach(self) -> None:
        """Re-apply the variant and the recorder after :meth:`detach`."""
        self.variant.reapply()
        self._recorder = ExecutionRecorder(self.model, self.variant.num_layers, self.variant.early_exit)

    def reset_totals(self) -> None:
        self._totals = RunTotals()
        self._task_totals = {}
        self._mixed_calls = 0
        self._memory.reset()

    def set_cache_hook(self, cache_hook) -> None:
        super().set_cache_hook(cache_hook)
        if getattr(cache_hook, "dbdict", None) is not None:
            self._cache_used = True

    def _detect_batch_size(self, requests=None, pos: int = 0):
        self._probing = True
        try:
            return super()._detect_batch_size(requests, pos)
        finally:
            self._probing = False

    # ----- request methods: per-task totals, gathered across ranks -----------------------------------------
    def _can_split(self, method_name: str) -> bool:
        """Splitting a call by task is safe unless ranks must meet inside HFLM's code (see the module docstring)."""
        if self.world_size < 2:
            return True
        return method_name != "loglikelihood_rolling" and not str(self.batch_size_per_gpu).startswith("auto")

    def _measured(self, method, requests: list, disable_tqdm: bool) -> tuple[list, RunTotals]:
        """Run one HFLM request method on ``requests`` with its own totals (energy segment closed at the end)."""
        e = self._energy
        start = (e.total_j, e.measured_s, e.unattributed_s)
        self._call = call = RunTotals()
        try:
            result = method(requests, disable_tqdm)
        finally:
            self._energy.maybe_close(force=True)
            self._call = None
            call.energy_j = e.total_j - start[0]
            call.energy_measured_s = e.measured_s - start[1]
            call.energy_unattributed_s = e.unattributed_s - start[2]
            if call.gen_requests:  # a generate_until call: its energy is generation energy
                call.energy_gen_j = call.energy_j
            call.peak_memory_bytes = max(call.peak_memory_bytes, self._memory.peak_bytes() or 0)
        return result, call

    def _by_task(self, method, requests, disable_tqdm: bool, scoring: bool) -> list:
        """Call ``method`` once per task of ``requests`` (or once in all), gather the totals, keep them per task."""
        requests = list(requests)
        groups: dict[str, list[int]] = defaultdict(list)
        for i, request in enumerate(requests):
            groups[str(getattr(request, "task_name", None) or "")].append(i)
        if len(groups) > 1 and not self._can_split(method.__name__):
            groups = {MIXED_TASKS: list(range(len(requests)))}
        out: list = [None] * len(requests)
        calls: dict[str, RunTotals] = {}
        for task, indices in groups.items():
            result, call = self._measured(method, [requests[i] for i in indices], disable_tqdm)
            if scoring:
                call.ll_requests += len(indices)
            calls[task] = call
            for i, value in zip(indices, result, strict=True):
                out[i] = value
        self._merge_calls(calls)
        return out

    def _merge_calls(self, calls: dict[str, RunTotals]) -> None:
        parts = [calls]
        if self.world_size > 1:
            import torch.distributed as dist

            parts = [None] * dist.get_world_size()
            dist.all_gather_object(parts, calls)
            self._record_world_size = max(self._record_world_size, len(parts))
        for part in parts:
            for task, totals in part.items():
                self._totals.merge(totals)
                if task == MIXED_TASKS:
                    self._mixed_calls += 1
                elif task:  # requests without a task name (direct calls) count in the run totals only
                    self._task_totals.setdefault(task, RunTotals()).merge(totals)

    def generate_until(self, requests, disable_tqdm: bool = False):
        self._row_stats.clear()
        texts = self._by_task(super().generate_until, requests, disable_tqdm, scoring=False)
        out = []
        for request, text in zip(requests, texts, strict=True):
            queue = self._row_stats.get(request.args[0])
            out.append(GenerationWithStats(text, queue.popleft()) if queue else text)
        self._row_stats.clear()
        return out

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        return self._by_task(super().loglikelihood, requests, disable_tqdm, scoring=True)

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        return self._by_task(super().loglikelihood_rolling, requests, disable_tqdm, scoring=True)

    # ----- model calls ---------------------------------------------------------------------------------------
    def tok_batch_encode(self, strings, padding_side: str = "left", left_truncate_len=None, truncation: bool = False):
        self._batch_contexts = list(strings)
        return super().tok_batch_encode(
            strings, padding_side=padding_side, left_truncate_len=left_truncate_len, truncation=truncation
        )

    def _model_call(self, inps, attn_mask=None, labels=None):
        if self._probing or self._call is None:
            return super()._model_call(inps, attn_mask, labels)
        ee = self.variant.early_exit
        self._recorder.drain()
        sync(self.device)
        t0 = time.perf_counter()
        sim_depth = None
        if ee is not None and ee.dynamic and ee.model is not None:
            with torch.no_grad():
                logits, sim_depth = ee.simulate_logits(inps)
        else:
            logits = super()._model_call(inps, attn_mask, labels)
        sync(self.device)
        t1 = time.perf_counter()
        steps = self._recorder.drain()
        if sim_depth is not None and steps:
            steps[-1].checks.append((ee.check_flops_per_row, ee.simulated_checks))
            # exit logits projected again (a confidence check's own logits are reused instead)
            steps[-1].checks.append((self.variant.cost.head_check_flops(), ee.simulated_reprojected))
        flops, dense = self._step_costs(steps)
        call = self._call
        call.ll_batches += 1
        call.ll_wall_s += t1 - t0
        self._add_flops(call, flops, dense, steps)
        if sim_depth is not None:
            call.sim_positions += sim_depth.numel()
            call.sim_depth_sum += int(sim_depth.sum())
            for depth, count in zip(*torch.unique(sim_depth, return_counts=True), strict=True):
                call.sim_depth_hist[int(depth)] = call.sim_depth_hist.get(int(depth), 0) + int(count)
        self._energy.add({}, sum(flops.values()))
        self._energy.maybe_close()
        return logits

    def _model_generate(self, context, max_length, stop, **generation_kwargs):
        if self._probing or self._call is None:
            return super()._model_generate(context, max_length, stop, **generation_kwargs)
        self._recorder.drain()
        sync(self.device)
        t0 = time.perf_counter()
        if self._kv_none:  # lm-eval forces use_cache=True; kv_mode=none means generating without a cache
            original = self.model.generate
            self.model.generate = lambda *a, **kw: original(*a, **{**kw, "use_cache": False})
        try:
            out = super()._model_generate(context, max_length, stop, **generation_kwargs)
        finally:
            if self._kv_none:
                del self.model.generate
        sync(self.device)
        t1 = time.perf_counter()
        first_end = self._recorder.first_step_end or t1
        kv_bytes = cache_bytes(self._recorder.last_cache) if self._recorder.last_cache is not None else 0
        steps = self._recorder.drain()
        self._account_generation(context, out, steps, t0, first_end, t1, kv_bytes)
        return out

    # ----- accounting ----------------------------------------------------------------------------------------
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

    def _stop_ids(self) -> set[int]:
        ids = {self.eot_token_id}
        eos = getattr(self.model.generation_config, "eos_token_id", None)
        ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.pad_token_id is not None:
            ids.add(self.tokenizer.pad_token_id)
        return ids

    def _account_generation(self, context, out, steps: list[StepLog], t0: float, first_end: float, t1: float,
                            kv_bytes: int) -> None:  # fmt: skip
        call = self._call
        batch = int(context.shape[0])
        # kv_mode=none re-runs the prefix each step; its dense reference (and its positions) are the cached model's
        dense_steps = cached_equivalent_steps(steps, self.variant.num_layers) if self._kv_none else None
        flops, dense = self._step_costs(steps, dense_steps)
        self._add_flops(call, flops, dense, steps, dense_steps)
        n_layers = self.variant.num_layers
        executed = [len(s.layers_run) if s.layers_run is not None else n_layers for s in steps]
        gen_lengths = _generated_lengths(out, int(context.shape[1]), self._stop_ids())
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
            if self._energy.available:
                self._energy.add(stats, batch_flops / batch)
        self._energy.maybe_close()
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

    # ----- the record ----------------------------------------------------------------------------------------
    def _figures(self, totals: RunTotals) -> dict[str, Any]:
        return build_figures(
            totals,
            self.variant.static_facts(),
            self._energy.reason,
            self._energy.source,
            self._memory.source,
            self._cache_used,
            dense_reference=DENSE_CACHED_NOTE if self._kv_none else None,
        )

    def _per_task(self) -> dict[str, Any]:
        """``tasks``: each task's own figures and request counts, when every request call could be split by task."""
        if self._mixed_calls:
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
                for task, totals in sorted(self._task_totals.items())
            }
        }

    def efficiency_record(self) -> dict[str, Any]:
        ee = self.variant.early_exit
        totals = self._totals
        record = {
            "schema": SCHEMA,
            "variant": {
                "spec": self.variant.spec.to_dict(),
                "hash": self.variant.spec.hash,
                "summary": self.variant.spec.summary(),
                "source": self.variant.spec.source,
                "transforms": self.variant.stack.describe(),
                "training_cost": self._training_cost,
            },
            "figures": self._figures(totals),
            "exit_histogram": {str(k): v for k, v in sorted(totals.exit_depth_hist.items())},
            "modes": {
                "generate_until": "real",
                "loglikelihood": "simulated" if ee is not None and ee.dynamic else "real",
            },
            "requests": {"generate_until": totals.gen_requests, "loglikelihood": totals.ll_requests},
            "cache_used": self._cache_used,
            "world_size": self._record_world_size,
            "environment": self._env,
            **self._per_task(),
        }
        if totals.sim_depth_hist:
            record["simulated_exit_histogram"] = {str(k): v for k, v in sorted(totals.sim_depth_hist.items())}
        return record

    def get_model_info(self) -> dict:
        info = super().get_model_info()
        info["efficiency"] = self.efficiency_record()
        return info
