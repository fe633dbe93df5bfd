"""The leaderboard's column schema and how one (results file, task) becomes one row.

Why a fixed schema: leaderboards are read by scripts and diffed in review, so every known column is always present
(empty when a run did not report it), in the same order, whatever runs went in. Metrics nobody listed here are kept
too, appended after the known ones in name order. Missing values are empty cells, never 0: a plain ``--model hf`` run
has no efficiency record, so its cost columns stay empty rather than claiming free inference.

The column names and the schema version come from :mod:`codeeff.contracts.records`; every row carries the version
(``codeeff.leaderboard/1``) in its ``schema`` column. Column groups, in order: ``schema``, identity, provenance,
quality (each followed by ``<metric>_stderr``), unknown metrics (same pairing), cost (then efficiency figures beyond
the contract's list as ``eff_<name>``), what the variant cost to make (``train_wall_s``, ``train_tokens``: read from
the record's ``variant.training_cost``, provenance rather than a metric, so no deltas), then ``baseline`` and the
deltas against the baseline row (:func:`delta_columns`). A metric reported under an lm-eval filter other than
``none`` is named ``<metric>[<filter>]``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

from codeeff.contracts.cost import EFFICIENCY_FIGURE_NAMES, SAMPLE_COST_METRICS
from codeeff.contracts.metrics import QUALITY_METRICS
from codeeff.contracts.records import (
    BASELINE_COLUMN,
    COST_COLUMNS,
    COST_METRIC_COLUMNS,
    DELTA_PREFIX,
    EXTRA_FIGURE_PREFIX,
    IDENTITY_COLUMNS,
    LEADERBOARD_SCHEMA,
    PROVENANCE_COLUMNS,
    ROW_KEY,
    SAMPLE_COST_PREFIX,
    SCHEMA_COLUMN,
    TRAINING_COST_COLUMNS,
    TRAINING_COST_FIELDS,
    TRAINING_COST_KEY,
)
from codeeff.contracts.records import STDERR_SUFFIX as _STDERR_SUFFIX
from codeeff.leaderboard.labels import model_name, without_paths
from codeeff.leaderboard.load import TaskRun

_NOT_METRICS = {"alias", "name", "sample_len", "sample_count", " ", ""}


def metric_column(metric: str, filter_name: str | None) -> str:
    """Column of a metric reported under an lm-eval filter (``none``: the plain name; per-sample cost: ``sample_``)."""
    if metric in SAMPLE_COST_METRICS:
        metric = SAMPLE_COST_PREFIX + metric
    return metric if filter_name in (None, "", "none") else f"{metric}[{filter_name}]"


def base_metric(column: str) -> str:
    """``exact_match[strict]`` -> ``exact_match`` (rules and directions are per metric, not per filter)."""
    return column.split("[", 1)[0]


def stderr_column(column: str) -> str:
    metric, bracket, rest = column.partition("[")
    return f"{metric}{_STDERR_SUFFIX}{bracket}{rest}"


def is_cost_column(column: str) -> bool:
    return column in COST_METRIC_COLUMNS or column.startswith(EXTRA_FIGURE_PREFIX)


def cost_metric_columns_of(columns: list[str] | set[str]) -> list[str]:
    """Cost metric columns: the contract's figures and per-sample means, then extra figures by name."""
    extras = sorted(c for c in columns if c.startswith(EXTRA_FIGURE_PREFIX))
    return [*COST_METRIC_COLUMNS, *extras]


def as_number(value: Any) -> float | None:
    """A finite number from a cell or JSON value; None for empty, ``N/A``, text, NaN or inf (never 0 by default)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and value.strip():
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _compact_json(value: Any) -> str | None:
    if value in (None, {}, [], ""):
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _task_metrics(run: TaskRun) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values, stderrs) keyed by column, from ``results[task]``'s ``metric,filter`` keys."""
    values: dict[str, Any] = {}
    stderrs: dict[str, Any] = {}
    for key, value in ((run.data.get("results") or {}).get(run.task) or {}).items():
        metric, _, filter_name = key.partition(",")
        if metric in _NOT_METRICS or not filter_name:
            continue
        if metric.endswith(_STDERR_SUFFIX):
            stderrs[metric_column(metric[: -len(_STDERR_SUFFIX)], filter_name)] = as_number(value)
        else:
            values[metric_column(metric, filter_name)] = as_number(value)
    return values, stderrs


def _efficiency_figures(run: TaskRun) -> tuple[dict[str, Any], dict[str, Any]]:
    """(figures, record) of the efficiency record; a per-task breakdown, when the record has one, wins."""
    record = ((run.data.get("config") or {}).get("efficiency")) or {}
    if not isinstance(record, dict):
        return {}, {}
    per_task = ((record.get("tasks") or {}).get(run.task) or {}).get("figures") if record.get("tasks") else None
    figures = per_task or record.get("figures") or {}
    return (figures if isinstance(figures, dict) else {}), record


def _date(run: TaskRun) -> str | None:
    stamp = as_number(run.data.get("date"))
    if stamp is not None:
        return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    match = re.match(r"(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)", run.file.timestamp)
    return f"{match.group(1)}T{match.group(2)}:{match.group(3)}:{match.group(4)}" if match else None


def _torch_version(data: dict[str, Any], packages: dict[str, Any]) -> str | None:
    if packages.get("torch"):
        return str(packages["torch"])
    match = re.search(r"PyTorch version: (\S+)", str(data.get("pretty_env_info") or ""))
    return match.group(1) if match else None


def _model_args(config: dict[str, Any]) -> dict[str, Any]:
    args = config.get("model_args")
    if isinstance(args, dict):
        return args
    if isinstance(args, str):  # older lm-eval wrote "k=v,k=v"
        return dict(part.split("=", 1) for part in args.split(",") if "=" in part)
    return {}


def _public_args(args: dict[str, Any]) -> dict[str, Any]:
    """model_args with local paths reduced to their last component (no machine paths in shared tables), also inside
    values (``early_exit=classifier:/abs/c.pt:0.8`` -> ``classifier:c.pt:0.8``)."""
    return {k: model_name(v) if isinstance(v, str) and k in ("pretrained", "spec", "factors", "tokenizer")
            else without_paths(v) for k, v in args.items()}  # fmt: skip


def _device(config: dict[str, Any], record: dict[str, Any]) -> Any:
    """The device the model ran on (the efficiency record's), not the one asked for: lm-eval records its
    ``--device`` default ``cuda:0`` even when the HF model fell back to the CPU."""
    return (record.get("environment") or {}).get("device") or config.get("device")


def _identity(run: TaskRun, record: dict[str, Any]) -> dict[str, Any]:
    data = run.data
    config = data.get("config") or {}
    args = _model_args(config)
    codeeff_block = data.get("codeeff") or {}
    environment = codeeff_block.get("environment") or {}
    variant = record.get("variant") or {}
    dtype = args.get("dtype") or args.get("torch_dtype") or config.get("model_dtype")
    return {
        "model": model_name(data.get("model_name") or args.get("pretrained") or config.get("model")),
        "variant": without_paths(variant.get("summary")),
        "spec_hash": variant.get("hash"),
        "task": run.task,
        "model_backend": config.get("model"),
        "model_args": _compact_json(_public_args(args)),
        "codeeff_version": codeeff_block.get("version"),
        "lm_eval_version": data.get("lm_eval_version"),
        "transformers_version": data.get("transformers_version"),
        "torch_version": _torch_version(data, environment.get("packages") or {}),
        "device": _device(config, record),
        "dtype": str(dtype).removeprefix("torch.") if dtype else None,
        "batch_size": config.get("batch_size"),
        "date": _date(run),
        "env_fingerprint": environment.get("hash"),
    }


def _provenance(run: TaskRun) -> dict[str, Any]:
    data, task = run.data, run.task
    task_config = (data.get("configs") or {}).get(task) or {}
    codeeff_block = data.get("codeeff") or {}
    recorded = (codeeff_block.get("data") or {}).get(task) or {}
    sandbox = (codeeff_block.get("sandbox") or {}).get(task) or {}
    dataset = recorded.get("source") or "/".join(
        str(p) for p in (task_config.get("dataset_path"), task_config.get("dataset_name")) if p
    )
    counts = (data.get("n-samples") or {}).get(task) or {}
    sample_len = ((data.get("results") or {}).get(task) or {}).get("sample_len")
    return {
        "task_version": (data.get("versions") or {}).get(task),
        "n_shot": (data.get("n-shot") or {}).get(task),
        "split": recorded.get("split") or task_config.get("test_split") or task_config.get("validation_split"),
        "dataset": dataset or None,
        "data_sha256": recorded.get("sha256"),
        "task_hash": (data.get("task_hashes") or {}).get(task),
        "limit": (data.get("config") or {}).get("limit"),
        "n_samples": counts.get("effective", sample_len),
        "gen_kwargs": _compact_json(task_config.get("generation_kwargs")),
        "metric_signatures": _compact_json((codeeff_block.get("signatures") or {}).get(task)),
        "sandbox": "/".join(str(sandbox[k]) for k in ("backend", "isolation") if sandbox.get(k)) or None,
        "results_file": str(run.file.path),
        "samples_file": str(run.samples_path) if run.samples_path else None,
    }


def _cost(run: TaskRun, figures: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    statuses: dict[str, str] = {}
    for name, figure in figures.items():
        if not isinstance(figure, dict):
            continue
        column = name if name in EFFICIENCY_FIGURE_NAMES else EXTRA_FIGURE_PREFIX + name
        row[column] = as_number(figure.get("value"))
        if figure.get("status"):
            statuses[name] = str(figure["status"])
    if not figures:  # no efficiency record: only the one cost figure lm-eval itself measured
        row["params"] = as_number((run.data.get("config") or {}).get("model_num_parameters"))
        if row["params"] is not None:
            statuses["params"] = "measured (lm-eval model_num_parameters)"
    energy = figures.get("energy_j_per_generated_token") or figures.get("energy_j") or {}
    if isinstance(energy, dict) and energy:
        row["energy_status"] = energy.get("status")
        row["energy_reason"] = energy.get("reason")
    row["cost_status"] = _compact_json(statuses)
    row["cache_used"] = record.get("cache_used")
    return row


def _training_cost(record: dict[str, Any]) -> dict[str, Any]:
    """What the variant cost to make (``variant.training_cost`` totals); None where unrecorded or not a count."""
    variant = record.get("variant")
    cost = variant.get(TRAINING_COST_KEY) if isinstance(variant, dict) else None
    if not isinstance(cost, dict):
        cost = {}
    row: dict[str, Any] = {}
    for column, key in TRAINING_COST_FIELDS.items():
        value = cost.get(key)
        number = None if isinstance(value, bool) else as_number(value)
        row[column] = number if number is not None and number >= 0 else None
    return row


def build_row(run: TaskRun) -> dict[str, Any]:
    """One leaderboard row for one task of one results file (values as Python objects, missing as None)."""
    figures, record = _efficiency_figures(run)
    values, stderrs = _task_metrics(run)
    row = {SCHEMA_COLUMN: LEADERBOARD_SCHEMA} | _identity(run, record) | _provenance(run)
    row.update(_cost(run, figures, record))
    row.update(_training_cost(record))
    for column, value in values.items():
        row[column] = value
        if not is_cost_column(base_metric(column)):
            row[stderr_column(column)] = stderrs.get(column)
    return row


def metric_columns_of(columns: list[str] | set[str]) -> list[str]:
    """The quality metric columns among ``columns``: known ones in schema order, then unknown ones by name."""
    fixed = {
        SCHEMA_COLUMN,
        *IDENTITY_COLUMNS,
        *PROVENANCE_COLUMNS,
        *COST_COLUMNS,
        *TRAINING_COST_COLUMNS,
        BASELINE_COLUMN,
    }
    unknown = sorted(
        c
        for c in columns
        if c not in fixed
        and c not in QUALITY_METRICS
        and not c.startswith((DELTA_PREFIX, EXTRA_FIGURE_PREFIX))
        and _STDERR_SUFFIX not in c
    )
    return [*QUALITY_METRICS, *unknown]


def delta_columns(metric: str) -> tuple[str, ...]:
    """Delta columns of one metric: absolute difference, relative % (cost only), paired-bootstrap CI bounds."""
    delta = DELTA_PREFIX + metric
    if is_cost_column(metric):
        return (delta, f"{delta}_pct")
    return (delta, f"{delta}_ci_low", f"{delta}_ci_high", f"{delta}_paired_n")


def columns_for(all_keys: set[str]) -> list[str]:
    """The full, ordered column list for rows whose keys are ``all_keys`` (fixed part always present)."""
    quality = metric_columns_of(all_keys)
    columns = [SCHEMA_COLUMN, *IDENTITY_COLUMNS, *PROVENANCE_COLUMNS]
    for metric in quality:
        columns += [metric, stderr_column(metric)]
    costs = cost_metric_columns_of(all_keys)
    columns += [*COST_COLUMNS, *costs[len(COST_METRIC_COLUMNS) :], *TRAINING_COST_COLUMNS]
    columns.append(BASELINE_COLUMN)
    for metric in [*quality, *costs]:
        columns += delta_columns(metric)
    return columns


def row_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return tuple(str(row.get(k) or "") for k in ROW_KEY)  # type: ignore[return-value]
