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

import json
import logging
import os
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lm_eval.api.model import LM

log = logging.getLogger(__name__)
SAMPLES_NAME = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.]+)\.jsonl$")


class SavedGenerationsError(ValueError):
    """Saved generations that cannot be replayed; the message names the file (and line) and what is wrong."""


@dataclass
class SavedDoc:
    """Everything saved for one document: raw responses per request (``idx``) and per repeat, plus checks."""

    doc_id: int
    responses: list[list[Any]]
    doc_hash: str | None = None
    prompt_hash: str | None = None
    numbers: dict[str, float] = field(default_factory=dict)  # the record's numeric fields (cost figures among them)


@dataclass
class SavedRun:
    """What a samples or predictions file holds, plus the live run's results JSON when it sits beside it."""

    path: Path
    kind: str  # "samples" | "predictions"
    docs: dict[int, SavedDoc]
    original_results: dict[str, Any] | None = None
    original_results_path: Path | None = None


# ---------------------------------------------------------------------------------------------------------------
# Reading saved generations
# ---------------------------------------------------------------------------------------------------------------


def _json_lines(path: Path) -> Iterable[tuple[int, Any]]:
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield lineno, json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SavedGenerationsError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None


def _as_int(value: Any, where: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SavedGenerationsError(f"{where}: '{what}' must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise SavedGenerationsError(f"{where}: '{what}' must be an integer, got {value!r}") from None


def read_samples(path: str | os.PathLike) -> dict[int, SavedDoc]:
    """An lm-eval ``samples_*.jsonl`` (``--log_samples``), one :class:`SavedDoc` per ``doc_id``.

    lm-eval writes one record per (document, filter) with identical raw ``resps``; they are merged.
    """
    path = Path(path)
    docs: dict[int, SavedDoc] = {}
    for lineno, record in _json_lines(path):
        where = f"{path}:{lineno}"
        if not isinstance(record, dict) or "doc_id" not in record or "resps" not in record:
            raise SavedGenerationsError(f"{where}: not an lm-eval sample record (needs 'doc_id' and 'resps')")
        doc_id = _as_int(record["doc_id"], where, "doc_id")
        resps = record["resps"]
        if not isinstance(resps, list) or not all(isinstance(r, list) for r in resps):
            raise SavedGenerationsError(f"{where}: 'resps' must be a list (one per request) of lists (one per repeat)")
        if doc_id in docs:
            if docs[doc_id].responses != resps:
                raise SavedGenerationsError(f"{where}: doc_id {doc_id} appears twice with different responses")
            continue
        numbers = {k: float(v) for k, v in record.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        docs[doc_id] = SavedDoc(doc_id, resps, record.get("doc_hash"), record.get("prompt_hash"), numbers)
    if not docs:
        raise SavedGenerationsError(f"{path}: no sample records")
    return docs


PREDICTION_FORMATS = ("raw", "gte", "transcoder")
TRANSCODER_DELIMITER = "***Example ends here:"


def read_predictions(path: str | os.PathLike, fmt: str = "raw") -> dict[int, SavedDoc]:
    """One prediction per document, in document order.

    ``raw`` — ``.jsonl``/``.json``: one JSON value per line — a string, or an object with ``prediction`` (a string)
    or ``resps`` (list of strings, one per repeat) and optionally ``doc_id`` (default: the line's position); any other
    file: one prediction per line, verbatim (so a prediction cannot hold a newline; use JSONL for that).
    ``gte`` — G-TransEval's published translations: one space-tokenized translation per line (detokenized into the
    task's target language by :func:`rescore`). ``transcoder`` — TransCoder's raw code, each output followed by a
    line ``***Example ends here:``.
    """
    path = Path(path)
    if fmt not in PREDICTION_FORMATS:
        raise SavedGenerationsError(f"unknown predictions format '{fmt}'; known: {', '.join(PREDICTION_FORMATS)}")
    docs: dict[int, SavedDoc] = {}
    if fmt == "transcoder":
        chunks, current = [], []
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.startswith(TRANSCODER_DELIMITER):
                chunks.append("\n".join(current).strip("\n") + "\n")
                current = []
            else:
                current.append(line)
        if "\n".join(current).strip():
            raise SavedGenerationsError(f"{path}: text after the last '{TRANSCODER_DELIMITER}' line (a cut file?)")
        docs = {i: SavedDoc(i, [[code]]) for i, code in enumerate(chunks)}
    elif path.suffix in (".jsonl", ".json") and fmt == "raw":
        for position, (lineno, value) in enumerate(_json_lines(path)):
            where = f"{path}:{lineno}"
            doc_id = position
            if isinstance(value, str):
                repeats = [value]
            elif isinstance(value, dict) and isinstance(value.get("prediction"), str):
                repeats = [value["prediction"]]
            elif isinstance(value, dict) and isinstance(value.get("resps"), list):
                repeats = [str(r) for r in value["resps"]]
            else:
                raise SavedGenerationsError(f"{where}: expected a string or an object with 'prediction' or 'resps'")
            if isinstance(value, dict) and "doc_id" in value:
                doc_id = _as_int(value["doc_id"], where, "doc_id")
            if doc_id in docs:
                raise SavedGenerationsError(f"{where}: doc_id {doc_id} given twice")
            docs[doc_id] = SavedDoc(doc_id, [repeats])
    else:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        docs = {i: SavedDoc(i, [[line.rstrip("\r")]]) for i, line in enumerate(lines)}
    if not docs:
        raise SavedGenerationsError(f"{path}: no predictions")
    return docs


def sibling_results(samples_path: Path) -> Path | None:
    """The ``results_<date>.json`` lm-eval wrote next to ``samples_<task>_<date>.jsonl`` in the same run."""
    match = SAMPLES_NAME.match(samples_path.name)
    if not match:
        return None
    candidate = samples_path.with_name(f"results_{match.group('date')}.json")
    return candidate if candidate.is_file() else None


def load_saved_run(
    samples: str | os.PathLike | None, predictions: str | os.PathLike | None, predictions_format: str = "raw"
) -> SavedRun:
    if (samples is None) == (predictions is None):
        raise ValueError("give exactly one of --samples or --predictions")
    path = Path(samples or predictions)  # type: ignore[arg-type]
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if samples is not None:
        run = SavedRun(path, "samples", read_samples(path))
        results_path = sibling_results(path)
        if results_path is not None:
            run.original_results = json.loads(results_path.read_text(encoding="utf-8"))
            run.original_results_path = results_path
        return run
    return SavedRun(path, "predictions", read_predictions(path, predictions_format))


# ---------------------------------------------------------------------------------------------------------------
# Replaying them through lm-eval
# ---------------------------------------------------------------------------------------------------------------


def _doc_hash(doc: Any) -> str:
    from lm_eval.utils import handle_non_serializable, hash_string

    return hash_string(json.dumps(doc, indent=2, default=handle_non_serializable, ensure_ascii=False))


class ReplayLM(LM):
    """An lm-eval ``LM`` that answers each request with the response saved for it (no model anywhere).

    ``order`` lists the true doc ids in the order lm-eval enumerates them (it passes positions as ``doc_id`` when
    evaluating a ``samples`` selection). Responses of ``generate_until`` carry the sample's saved cost figures (as
    :class:`GenerationWithStats`) when the document had exactly one response, so cost metrics are re-emitted too.
    """

    def __init__(
        self, run: SavedRun, order: list[int], *, check_prompts: bool = True, model_info: dict | None = None
    ) -> None:
        super().__init__()
        self.run = run
        self.order = order
        self.check_prompts = check_prompts
        self.model_info = dict(model_info or {})
        self._served: dict[tuple[int, int], int] = defaultdict(int)
        self.prompt_mismatches: list[int] = []

    def _saved(self, request) -> tuple[SavedDoc, Any]:
        doc_id = self.order[request.doc_id]
        saved = self.run.docs[doc_id]
        where = f"{self.run.path}: doc_id {doc_id}"
        if request.idx == 0 and self._served[(doc_id, 0)] == 0:
            self._check(saved, request, where)
        if request.idx >= len(saved.responses):
            raise SavedGenerationsError(f"{where}: no saved response for request {request.idx}")
        repeats = saved.responses[request.idx]
        served = self._served[(doc_id, request.idx)]
        if served >= len(repeats):
            raise SavedGenerationsError(
                f"{where}: the task asks for more repeats than were saved ({len(repeats)}); "
                "was the live run's `repeats` (or n-samples setting) different?"
            )
        self._served[(doc_id, request.idx)] += 1
        return saved, repeats[served]

    def _check(self, saved: SavedDoc, request, where: str) -> None:
        if saved.doc_hash and saved.doc_hash != _doc_hash(request.doc):
            raise SavedGenerationsError(
                f"{where}: the rebuilt task's document differs from the one the generation was made for "
                "(other data, source or task version); pass the live run's --metadata"
            )
        if saved.prompt_hash and self.check_prompts:
            from lm_eval.utils import hash_string

            if saved.prompt_hash != hash_string(str(request.arguments[0])):
                self.prompt_mismatches.append(saved.doc_id)

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        from codeeff.model_adapters.stats import COST_METRICS, GenerationWithStats

        out = []
        for request in requests:
            saved, response = self._saved(request)
            text = str(response)
            cost = {name: saved.numbers[name] for name in COST_METRICS if name in saved.numbers}
            single = len(saved.responses) == 1 and len(saved.responses[0]) == 1
            out.append(GenerationWithStats(text, cost) if single and cost else text)
        return out

    def loglikelihood(self, requests, disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        out = []
        for request in requests:
            _, response = self._saved(request)
            logprob, greedy = (
                response if isinstance(response, list | tuple) else str(response).strip("()").split(",")
            )[:2]
            out.append((float(logprob), str(greedy).strip() == "True"))
        return out

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False) -> list[float]:
        return [float(self._saved(request)[1]) for request in requests]

    def get_model_info(self) -> dict:
        return dict(self.model_info)


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
) -> Rescored:
    """Rebuild ``task``, replay the saved generations through lm-eval's evaluator and (optionally) write results.

    The saved generations must cover the requested documents: all of the task's, or its first ``limit`` (the live
    run's ``--limit`` when scoring its samples), of which ``shard = (i, n)`` keeps every n-th from the i-th.
    ``saved_metrics`` (doc id -> the per-sample metrics a shard already computed) replaces ``process_results``: how
    :func:`merge_shards` aggregates shards without executing anything again.
    """
    run = load_saved_run(samples, predictions, predictions_format)  # bad files fail here, before the heavy imports

    from lm_eval import simple_evaluate

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
    tracker = _tracker(output)
    results = simple_evaluate(
        model=lm,
        # names the output folder like the live run's, or after the predictions file
        model_args=original.get("model_args") or {"path": run.path.stem},
        tasks=[task_obj],  # the task built above (building it again would reload its data)
        task_manager=manager,
        samples={task: order},
        bootstrap_iters=int(original.get("bootstrap_iters") or 100000),
        log_samples=True,
        evaluation_tracker=tracker,
        gen_kwargs=original.get("gen_kwargs") or None,
        confirm_run_unsafe_code=confirm_run_unsafe_code,
        random_seed=original.get("random_seed", 0),
        numpy_random_seed=original.get("numpy_seed", 1234),
        torch_random_seed=original.get("torch_seed", 1234),
        fewshot_random_seed=original.get("fewshot_seed", 1234),
    )
    if lm.prompt_mismatches:
        message = (
            f"{len(lm.prompt_mismatches)} saved prompt(s) differ from the rebuilt task's (first doc_ids "
            f"{lm.prompt_mismatches[:5]}): generated with another prompt (task version, chat template or few-shot)"
        )
        if not allow_prompt_mismatch:
            raise SavedGenerationsError(f"{run.path}: {message}; --allow-prompt-mismatch scores them anyway")
        notes.append(message)
    results["config"]["rescored"]["notes"] = notes
    samples_out = results.pop("samples", {})
    results_path, samples_paths = _write(results, samples_out, tracker, output) if output else (None, [])
    return Rescored(results, results_path, samples_paths, notes)


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
    filter; :func:`merge_shards` only merges single-filter tasks)."""
    import itertools

    position = itertools.cycle(order)
    task_obj.config.process_results = lambda doc, results: dict(saved_metrics[next(position)])


def _tracker(output: str | os.PathLike | None):
    if output is None:
        return None
    from lm_eval.loggers import EvaluationTracker

    return EvaluationTracker(output_path=tempfile.mkdtemp(prefix=".codeeff-score-", dir=_ensure_dir(Path(output))))


def _ensure_dir(path: Path) -> str:
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def _write(results: dict, samples: dict, tracker, output: str | os.PathLike) -> tuple[Path, list[Path]]:
    """Write lm-eval's layout (``OUT/<model>/results_<date>.json`` + ``samples_<task>_<date>.jsonl``) atomically.

    lm-eval's tracker writes into a private temporary folder inside ``OUT``; each finished file is then moved into
    place with ``os.replace``, so ``OUT`` never holds a half-written file (the tracker only logs write errors, so
    a missing file is turned into an error here).
    """
    from codeeff.results_hook import annotate_results

    staging = Path(tracker.output_path)
    try:
        tracker.save_results_aggregated(results=annotate_results(results), samples=samples)
        for task_name in results["configs"]:
            tracker.save_results_samples(task_name=task_name, samples=samples.get(task_name, []))
        written = sorted(p for p in staging.rglob("*") if p.is_file())
        results_files = [p for p in written if p.name.startswith("results_")]
        if not results_files:
            raise OSError(f"lm-eval could not write the results into {staging} (see its log above)")
        moved: list[Path] = []
        for path in written:
            target = Path(output) / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            moved.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    results_path = next(p for p in moved if p.name.startswith("results_"))
    return results_path, [p for p in moved if p.name.startswith("samples_")]
