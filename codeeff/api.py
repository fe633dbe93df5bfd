"""``codeeff.evaluate``: lm-eval's ``simple_evaluate`` with codeeff's tasks, models, preflight and results block.

It is the Python twin of ``codeeff run``: the same checks before the model loads (data present, sandbox usable,
unsafe-code confirmation for executed tasks), codeeff's task folder on the include path beside the caller's own, a
device picked when none is given (``cuda`` when torch sees one, else ``cpu``), ``results["codeeff"]`` added, and, with
``output_path``, the same files on disk as ``codeeff run --output_path ... [--log_samples]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def default_device() -> str:
    """``cuda`` when torch can use a GPU, else ``cpu`` (lm-eval's HF model defaults to ``cuda`` unconditionally)."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _task_names(tasks: str | list[str]) -> list[str]:
    names = tasks.split(",") if isinstance(tasks, str) else list(tasks)
    return [n.strip() for n in names if n and n.strip()]


def _include_paths(include_path: str | Path | list[str | Path] | None) -> list[str]:
    from codeeff.tasks import tasks_dir

    extra = [] if include_path is None else include_path if isinstance(include_path, list) else [include_path]
    return [str(tasks_dir()), *(str(p) for p in extra)]


def evaluate(
    *,
    tasks: str | list[str],
    model: str = "codeeff-hf",
    model_args: str | dict[str, Any] | None = None,
    device: str | None = None,
    data_dir: str | Path | None = None,
    include_path: str | Path | list[str | Path] | None = None,
    confirm_run_unsafe_code: bool = False,
    output_path: str | Path | None = None,
    log_samples: bool = False,
    **simple_evaluate_kwargs: Any,
) -> dict[str, Any]:
    """Run lm-eval on ``tasks`` the way ``codeeff run`` does and return its results with ``results["codeeff"]``.

    Any other keyword (``limit``, ``batch_size``, ``gen_kwargs``, ``apply_chat_template``, ...) goes to
    ``lm_eval.simple_evaluate`` unchanged. With ``log_samples`` the per-sample records stay in
    ``results["samples"]`` (as ``simple_evaluate`` returns them); with ``output_path`` they are also written.
    """
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from codeeff.messages import install_once_per_run_filters
    from codeeff.results_files import ResultsWriter
    from codeeff.results_hook import annotate_results
    from codeeff.tasks import only_codeeff_tasks, preflight

    install_once_per_run_filters()
    names = _task_names(tasks)
    if not names:
        raise ValueError("codeeff.evaluate: no tasks given")
    metadata = dict(simple_evaluate_kwargs.pop("metadata", None) or {})
    if data_dir is not None:
        metadata["data_dir"] = str(data_dir)
    preflight(
        argparse.Namespace(tasks=",".join(names), metadata=metadata, confirm_run_unsafe_code=confirm_run_unsafe_code)
    )
    task_manager = simple_evaluate_kwargs.pop("task_manager", None) or TaskManager(
        include_path=_include_paths(include_path),
        include_defaults=not only_codeeff_tasks(",".join(names)),
        metadata=metadata or None,
    )
    writer = ResultsWriter.into(output_path) if output_path is not None else None
    try:
        results = simple_evaluate(
            model=model,
            model_args=model_args,
            tasks=names,
            device=device or default_device(),
            task_manager=task_manager,
            confirm_run_unsafe_code=confirm_run_unsafe_code,
            log_samples=log_samples,
            evaluation_tracker=writer.tracker if writer else None,
            metadata=metadata or None,
            **simple_evaluate_kwargs,
        )
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    if results is None:  # a non-zero rank of a data-parallel run: rank 0 holds the results
        if writer is not None:
            writer.discard()
        return {}
    annotate_results(results)
    if writer is not None:
        samples = results.pop("samples", None) if log_samples else None
        writer.write(results, samples)
        if samples is not None:
            results["samples"] = samples
    return results
