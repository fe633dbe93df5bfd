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

The measuring itself (meters, execution log, totals, the record) is :mod:`codeeff.model_adapters.measure.accounting`;
this class is the lm-eval surface: it builds the variant and routes every request method and model call through it.
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
from collections import defaultdict
from typing import Any

import torch
from lm_eval.api.registry import register_model
from lm_eval.models.huggingface import HFLM

from codeeff.messages import install_once_per_run_filters
from codeeff.model_adapters.arch import spec_for_config
from codeeff.model_adapters.measure.accounting import MIXED_TASKS, RunAccounting
from codeeff.model_adapters.measure.efficiency_record import RunTotals
from codeeff.model_adapters.measure.training_cost import record_paths, training_cost
from codeeff.model_adapters.spec import (
    KEYS,
    VariantSpec,
    VariantSpecError,
    parse_variant,
    rejoin_comma_split,
    validate_against_config,
)
from codeeff.model_adapters.transform import BuildContext
from codeeff.model_adapters.variant import LoadedVariant

SPEC_FILE_ARG = "spec"
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
        install_once_per_run_filters()  # every path, a plain simple_evaluate too: per-batch truncation warnings
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
        self.accounting = RunAccounting(
            self.variant, self.device, variant.values.get("energy", "auto"), training_cost=self._training_cost
        )
        self._probing = False
        self._kv_none = self.variant.generates_without_cache

    @property
    def totals(self) -> RunTotals:
        return self.accounting.totals

    def detach(self) -> None:
        """Give back the unmodified model: transforms restored, recorder hooks removed (for same-process A/B runs)."""
        self.accounting.detach()
        self.variant.restore()

    def attach(self) -> None:
        """Re-apply the variant and the recorder after :meth:`detach`."""
        self.variant.reapply()
        self.accounting.attach()

    def reset_totals(self) -> None:
        self.accounting.reset()

    def set_cache_hook(self, cache_hook) -> None:
        super().set_cache_hook(cache_hook)
        if getattr(cache_hook, "dbdict", None) is not None:
            self.accounting.cache_used = True

    def _detect_batch_size(self, requests=None, pos: int = 0):
        self._probing = True
        try:
            return super()._detect_batch_size(requests, pos)
        finally:
            self._probing = False

    def _measuring(self) -> bool:
        """Whether a model call belongs to a measured request call (not a batch-size probe)."""
        return not self._probing and self.accounting.call is not None

    # ----- request methods: per-task totals, gathered across ranks -----------------------------------------
    def _can_split(self, method_name: str) -> bool:
        """Splitting a call by task is safe unless ranks must meet inside HFLM's code (see the module docstring)."""
        if self.world_size < 2:
            return True
        return method_name != "loglikelihood_rolling" and not str(self.batch_size_per_gpu).startswith("auto")

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
            part = [requests[i] for i in indices]
            result, call = self.accounting.measure_call(
                lambda part=part: method(part, disable_tqdm), len(indices) if scoring else 0
            )
            calls[task] = call
            for i, value in zip(indices, result, strict=True):
                out[i] = value
        self.accounting.merge_calls(calls, self.world_size)
        return out

    def generate_until(self, requests, disable_tqdm: bool = False):
        self.accounting.begin_generations()
        texts = self._by_task(super().generate_until, requests, disable_tqdm, scoring=False)
        out = [self.accounting.with_stats(request.args[0], text) for request, text in zip(requests, texts, strict=True)]
        self.accounting.begin_generations()
        return out

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        return self._by_task(super().loglikelihood, requests, disable_tqdm, scoring=True)

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        return self._by_task(super().loglikelihood_rolling, requests, disable_tqdm, scoring=True)

    # ----- model calls ---------------------------------------------------------------------------------------
    def tok_batch_encode(self, strings, padding_side: str = "left", left_truncate_len=None, truncation: bool = False):
        if hasattr(self, "accounting"):  # HFLM may encode before the variant is set up
            self.accounting.note_batch_contexts(strings)
        return super().tok_batch_encode(
            strings, padding_side=padding_side, left_truncate_len=left_truncate_len, truncation=truncation
        )

    def _model_call(self, inps, attn_mask=None, labels=None):
        if not self._measuring():
            return super()._model_call(inps, attn_mask, labels)
        ee = self.variant.early_exit
        if ee is not None and ee.dynamic and ee.model is not None:

            def simulate():
                with torch.no_grad():
                    return ee.simulate_logits(inps)

            return self.accounting.scoring_forward(simulate, simulated=True)
        return self.accounting.scoring_forward(lambda: super(CodeeffHFLM, self)._model_call(inps, attn_mask, labels),
                                               simulated=False)  # fmt: skip

    def _model_generate(self, context, max_length, stop, **generation_kwargs):
        if not self._measuring():
            return super()._model_generate(context, max_length, stop, **generation_kwargs)
        return self.accounting.generation(
            context, lambda: self._generate(context, max_length, stop, **generation_kwargs), self._stop_ids()
        )

    def _generate(self, context, max_length, stop, **generation_kwargs):
        if self._kv_none:  # lm-eval forces use_cache=True; kv_mode=none means generating without a cache
            original = self.model.generate
            self.model.generate = lambda *a, **kw: original(*a, **{**kw, "use_cache": False})
        try:
            return super()._model_generate(context, max_length, stop, **generation_kwargs)
        finally:
            if self._kv_none:
                del self.model.generate

    def _stop_ids(self) -> set[int]:
        ids = {self.eot_token_id}
        eos = getattr(self.model.generation_config, "eos_token_id", None)
        ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.pad_token_id is not None:
            ids.add(self.tokenizer.pad_token_id)
        return ids

    # ----- the record ----------------------------------------------------------------------------------------
    def efficiency_record(self) -> dict[str, Any]:
        return self.accounting.efficiency_record()

    def get_model_info(self) -> dict:
        info = super().get_model_info()
        info["efficiency"] = self.efficiency_record()
        return info
