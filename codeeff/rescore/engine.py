"""Score saved generations without a model: the second half of the generate-here, execute-there workflow.

A GPU box runs ``codeeff run ... --log_samples`` (or ``--predict_only``); a CI box that has the sandbox but no GPU
then scores the saved ``samples_<task>_<date>.jsonl`` (or a plain predictions file). Rather than re-implement
lm-eval's evaluation loop, the task is rebuilt through lm-eval's ``TaskManager`` and evaluated by lm-eval itself
against :class:`ReplayLM`, an ``LM`` that answers every request with the response saved for it. So filters,
``process_results``, aggregations, stderr, the results layout and ``results["codeeff"]`` are exactly those of a live
run, for every task lm-eval can build (codeeff's and, with ``include_defaults``, lm-eval's own).

Replay is checked, not trusted: each saved sample's ``doc_hash`` and ``prompt_hash`` must match the rebuilt task's
document and prompt (different data or a changed prompt would silently score the wrong thing), and a task version
that differs from the one the samples were generated with is reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeeff.rescore.replay import ReplayLM
from codeeff.rescore.saved import SavedDoc, SavedGenerationsError, SavedRun, load_saved_run
from codeeff.results_files import ResultsWriter


@dataclass
class Rescored:
    results: dict[str, Any]
    results_path: Path | None
    samples_paths: list[Path]
    notes: list[str]


def _task_manager(metadata: dict[str, Any], include_defaults: bool):
    from lm_eval.tasks import TaskManager

    from codeeff.tasks import tasks_dir

    return TaskManager(include_path=str(tasks_dir()), include_defaults=include_defaults, metadata=metadata)


def _inherited_metadata(run: SavedRun, task: str) -> dict[str, Any]:
    """The live run's task metadata minus model arguments, version and paths missing on this machine."""
    if not run.original_results:
        return {}
    config = (run.original_results.get("configs") or {}).get(task) or {}
    metadata = dict(config.get("metadata") or {})
    model_args = (run.original_results.get("config") or {}).get("model_args") or {}
    if isinstance(model_args, str):
        from lm_eval.utils import simple_parse_args_string

        model_args = simple_parse_args_string(model_args)
    for key in ("version", "config_source", *model_args):
        metadata.pop(key, None)
    if metadata.get("data_dir") and not Path(str(metadata["data_dir"])).is_dir():
        metadata.pop("data_dir")
    return metadata


def _original_config(run: SavedRun) -> dict[str, Any]:
    return dict((run.original_results or {}).get("config") or {})


def rescore(
    task: str,
    *,
    samples: str | os.PathLike | None = None,
    predictions: str | os.PathLike | None = None,
    metadata: dict[str, Any] | None = None,
    output: str | os.PathLike | None = None,
    include_defaults: bool = False,
    confirm_run_unsafe_code: bool = False,
    allow_prompt_mismatch: bool = False,
    predictions_format: str = "raw",
    limit: int | None = None,
    shard: tuple[int, int] | None = None,
    saved_metrics: dict[int, dict[str, Any]] | None = None,
    source: dict[str, Any] | None = None,
) -> Rescored:
    """Rebuild ``task``, replay the saved generations through lm-eval's evaluator and (optionally) write results.

    The saved generations must cover the requested documents: all of the task's, or its first ``limit`` (the live
    run's ``--limit`` when scoring its samples), of which ``shard = (i, n)`` keeps every n-th from the i-th.
    ``saved_metrics`` (doc id -> the per-sample metrics a shard already computed) replaces ``process_results``: how
    :func:`~codeeff.rescore.runs.merge_shards` aggregates shards without executing anything again. ``source``
    overrides what the results' ``config.rescored`` block records about where the generations came from (``from``,
    ``kind``, ``original_results``, ...) when the file given is an intermediate copy, as the joined shards of a merge
    are.
    """
    run = load_saved_run(samples, predictions, predictions_format)  # bad files fail here, before the heavy imports

    notes: list[str] = []
    merged_metadata = {**_inherited_metadata(run, task), **(metadata or {})}
    manager = _task_manager(merged_metadata, include_defaults)
    if task not in manager.all_subtasks:
        import difflib

        close = difflib.get_close_matches(task, manager.all_subtasks, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        where = (
            "codeeff's and lm-eval's tasks"
            if include_defaults
            else "codeeff's tasks (--include-defaults for lm-eval's)"
        )
        raise ValueError(f"unknown task '{task}' among {where}{hint}")

    built = manager.load([task])["tasks"]
    task_obj = next(iter(built.values()))
    n_docs = len(task_obj.eval_docs)
    beyond = [i for i in sorted(run.docs) if i < 0 or i >= n_docs]
    if beyond:
        raise SavedGenerationsError(
            f"{run.path}: doc_id(s) {beyond[:5]} are outside the task's {n_docs} documents; "
            "the file belongs to other data (pass the live run's --metadata)"
        )
    original = _original_config(run)
    if limit is None and original.get("limit") is not None:
        limit = int(original["limit"])  # the live run's --limit
    order = requested_docs(n_docs, limit, shard)
    missing = [i for i in order if i not in run.docs]
    if missing:
        covered = sum(1 for i in order if i in run.docs)
        raise SavedGenerationsError(
            f"{run.path}: covers {covered} of the {len(order)} requested documents of {task} (first missing doc_ids "
            f"{missing[:5]}); pass --limit N to score only the first N documents"
        )
    if predictions_format == "gte":
        _detokenize_gte(run, task_obj, order)
    if saved_metrics is not None:
        _replay_metrics(task_obj, order, saved_metrics)

    versions = (run.original_results or {}).get("versions") or {}
    if task in versions and str(versions[task]) != str(task_obj.VERSION):
        notes.append(
            f"samples were generated by {task} version {versions[task]}; scored with version {task_obj.VERSION}"
        )
    model_info = {
        **{k: v for k, v in original.items() if k not in ("batch_sizes", "limit", "bootstrap_iters", "device")},
        "rescored": {
            "from": str(run.path),
            "kind": run.kind,
            "docs": len(order),
            "original_results": str(run.original_results_path) if run.original_results_path else None,
            "metadata": merged_metadata,
            "predictions_format": predictions_format if run.kind == "predictions" else None,
            "limit": limit,
            "shard": f"{shard[0]}/{shard[1]}" if shard else None,
            **(source or {}),
        },
    }
    prompts_rebuildable = not (run.original_results or {}).get("chat_template") and not (
        (run.original_results or {}).get("system_instruction")
    )
    if saved_metrics is not None:
        prompts_rebuildable = True  # documents are still checked; prompts were when these metrics were computed
        run.docs = {i: SavedDoc(d.doc_id, d.responses, d.doc_hash, None, d.numbers) for i, d in run.docs.items()}
    elif not prompts_rebuildable:
        notes.append("the live run used a chat template or system instruction: saved prompts were not compared")
    lm = ReplayLM(run, order, check_prompts=prompts_rebuildable, model_info=model_info)
    writer = ResultsWriter.into(output) if output is not None else None
    try:
        results = _replay(lm, task, task_obj, manager, order, original, writer, confirm_run_unsafe_code)
        _check_prompts(lm, run, allow_prompt_mismatch, notes)
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    results["config"]["rescored"]["notes"] = notes
    samples_out = results.pop("samples", {})
    results_path, samples_paths = writer.write(results, samples_out) if writer else (None, [])
    return Rescored(results, results_path, samples_paths, notes)


def _replay(
    lm: ReplayLM,
    task: str,
    task_obj: Any,
    manager: Any,
    order: list[int],
    original: dict[str, Any],
    writer: ResultsWriter | None,
    confirm_run_unsafe_code: bool,
) -> dict[str, Any]:
    """lm-eval's evaluation of ``task_obj`` on the documents ``order`` with ``lm`` answering, seeded as the live run."""
    from lm_eval import simple_evaluate

    return simple_evaluate(
        model=lm,
        # names the output folder like the live run's, or after the predictions file
        model_args=original.get("model_args") or {"path": lm.run.path.stem},
        tasks=[task_obj],  # the task built above (building it again would reload its data)
        task_manager=manager,
        samples={task: order},
        bootstrap_iters=int(original.get("bootstrap_iters") or 100000),
        log_samples=True,
        evaluation_tracker=writer.tracker if writer else None,
        gen_kwargs=original.get("gen_kwargs") or None,
        confirm_run_unsafe_code=confirm_run_unsafe_code,
        random_seed=original.get("random_seed", 0),
        numpy_random_seed=original.get("numpy_seed", 1234),
        torch_random_seed=original.get("torch_seed", 1234),
        fewshot_random_seed=original.get("fewshot_seed", 1234),
    )


def _check_prompts(lm: ReplayLM, run: SavedRun, allow_prompt_mismatch: bool, notes: list[str]) -> None:
    if not lm.prompt_mismatches:
        return
    message = (
        f"{len(lm.prompt_mismatches)} saved prompt(s) differ from the rebuilt task's (first doc_ids "
        f"{lm.prompt_mismatches[:5]}): generated with another prompt (task version, chat template or few-shot)"
    )
    if not allow_prompt_mismatch:
        raise SavedGenerationsError(f"{run.path}: {message}; --allow-prompt-mismatch scores them anyway")
    notes.append(message)


def requested_docs(n_docs: int, limit: int | None = None, shard: tuple[int, int] | None = None) -> list[int]:
    """The doc ids a scoring covers: the first ``limit`` (default all), then shard ``i`` of ``n`` (every n-th)."""
    if limit is not None and limit < 1:
        raise ValueError(f"--limit must be a positive number of documents, got {limit}")
    docs = list(range(min(limit, n_docs) if limit is not None else n_docs))
    if shard is not None:
        index, count = shard
        if not 0 <= index < count:
            raise ValueError(f"--shard {index}/{count}: the shard index must be in 0..{count - 1}")
        docs = docs[index::count]
    return docs


def _detokenize_gte(run: SavedRun, task_obj: Any, order: list[int]) -> None:
    """G-TransEval's tokenized translations -> code in each document's target language."""
    from codeeff.formats.gtranseval import detokenize

    docs = task_obj.eval_docs
    for doc_id in order:
        doc = docs[doc_id]
        if "target_lang" not in doc:
            raise SavedGenerationsError("--predictions-format gte applies to G-TransEval tasks only")
        saved = run.docs[doc_id]
        saved.responses = [[detokenize(str(r), doc["target_lang"]) for r in req] for req in saved.responses]


def _replay_metrics(task_obj: Any, order: list[int], saved_metrics: dict[int, dict[str, Any]]) -> None:
    """Make ``task_obj`` report the saved per-sample metrics (lm-eval scores the documents in ``order``, once per
    filter; :func:`~codeeff.rescore.runs.merge_shards` only merges single-filter tasks)."""
    import itertools

    position = itertools.cycle(order)
    task_obj.config.process_results = lambda doc, results: dict(saved_metrics[next(position)])
