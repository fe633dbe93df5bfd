"""The lm-eval side of the G-TransEval tasks: dataset loader, prompt, batched execution filter, per-sample scoring.

Flow of one task run:

1. :func:`load_dataset` (``custom_dataset``) builds one document per benchmark function with the detokenized source
   and reference, the unit tests (JSON) and the Type.
2. :func:`doc_to_text` / :func:`answer_prefix`: a zero-shot instruction with the source in a fenced block; the answer
   starts with an opened fence of the target language (with ``--apply_chat_template`` it is the user turn and the
   fence opens the assistant turn), and generation stops at the closing fence.
3. :func:`execute` (a ``custom`` filter, so it sees ALL responses at once): extracts the code of every response,
   builds one sandbox job per response and runs them in one parallel ``run_jobs`` call; returns
   :class:`ScoredResponse` strings that keep the generation's cost ``.stats``.
4. :func:`process_results`: CA, execution-status indicators, text-metric items, edit similarity, cost metrics.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from codeeff.contracts.execution import VERDICT_KINDS
from codeeff.contracts.languages import check_language
from codeeff.contracts.task_names import task_name_of, translation_task_name
from codeeff.formats.gtranseval import detokenize
from codeeff.tasks.gtranseval.problems import DISPLAY_NAMES, TYPES, Problem, TestCase, load_problems
from codeeff.tasks.gtranseval.verdict import Verdict

EXEC_STATUSES = VERDICT_KINDS
BACKEND_ENV = "CODEEFF_SANDBOX_BACKEND"
ALLOW_UNSAFE_ENV = "CODEEFF_SANDBOX_ALLOW_UNSAFE"


# --- dataset --------------------------------------------------------------------------------------------------------


def documents(
    source: str, target: str, types: Iterable[int] = TYPES, data_dir: str | None = None, task_name: str | None = None
) -> list[dict]:
    """One lm-eval document per problem of ``types`` for the ``source`` -> ``target`` direction."""
    docs = []
    for problem in load_problems(data_dir, tuple(types)):
        docs.append(
            {
                "task_name": task_name or translation_task_name(source, target),
                "id": problem.id,
                "index": problem.index,
                "type": problem.type,
                "name": problem.name,
                "source_lang": source,
                "target_lang": target,
                "source_code": detokenize(problem.sources[source], source),
                "reference": detokenize(problem.sources[target], target),
                "answer_prefix": answer_prefix(target),
                "source_tokenized": problem.sources[source],
                "reference_tokenized": problem.sources[target],
                "tests": json.dumps(
                    {
                        "params_type": list(problem.params_type),
                        "return_type": problem.return_type,
                        "tests": [{"params": list(t.params), "return": t.expected} for t in problem.tests],
                        "sources": problem.sources,
                    }
                ),
            }
        )
    return docs


def load_dataset(
    source: str,
    target: str,
    types: list[int] | None = None,
    task_name: str | None = None,
    data_dir: str | None = None,
    **_: Any,
) -> dict:
    """``custom_dataset`` entry point (called as ``fn(**metadata, **dataset_kwargs)``; unrelated metadata ignored)."""
    import datasets

    from codeeff.provenance import record_dataset
    from codeeff.tasks.gtranseval.problems import data_fingerprint, data_root

    chosen = tuple(types or TYPES)
    task_name = task_name or translation_task_name(source, target)
    docs = documents(source, target, chosen, data_dir, task_name)
    record_dataset(
        task_name,
        source="G-TransEval (PolyEval/G-TransEval @ ceadb7b): Type{1..4}/*.test + TestRunner/config/l{1..4}.json",
        split="test",
        path=str(data_root(data_dir)),
        sha256=data_fingerprint(data_dir),
        rows=len(docs),
        types=list(chosen),
    )
    return {"test": datasets.Dataset.from_list(docs)}


def problem_of(doc: dict) -> Problem:
    """Rebuild the :class:`Problem` from a document (documents are self-contained)."""
    data = json.loads(doc["tests"])
    return Problem(
        index=doc["index"],
        type=doc["type"],
        number=int(doc["id"].split("-", 1)[0]),
        name=doc["name"],
        params_type=tuple(data["params_type"]),
        return_type=data["return_type"],
        tests=tuple(TestCase(tuple(t["params"]), t["return"]) for t in data["tests"]),
        sources=data["sources"],
    )


# --- prompt ---------------------------------------------------------------------------------------------------------


def doc_to_text(doc: dict) -> str:
    src, tgt = DISPLAY_NAMES[doc["source_lang"]], DISPLAY_NAMES[doc["target_lang"]]
    return (
        f"Translate the following {src} function into {tgt}. Keep the behaviour identical, write only the {tgt} "
        f"function (plus any helper functions or imports it needs), and do not add a main program or tests.\n\n"
        f"```{fence_tag(doc['source_lang'])}\n{doc['source_code']}```\n\n"
    )


def answer_prefix(target: str) -> str:
    """Start of the answer (the YAML's ``gen_prefix`` names this document field): an opened code fence."""
    return f"{DISPLAY_NAMES[target]} translation:\n```{fence_tag(target)}\n"


def fence_tag(language: str) -> str:
    """The Markdown fence tag of ``language`` (its codeeff name)."""
    return check_language(language)


def doc_to_target(doc: dict) -> str:
    return doc["reference"]


# --- execution (batched) --------------------------------------------------------------------------------------------


class ExecutionBatch:
    """Every candidate of one task, executed together in one sandbox call the first time an outcome is asked for.

    The filter only extracts code; execution waits for scoring (:func:`process_results` reading ``.execution``), so a
    ``--predict_only`` run, which never scores, never executes anything.
    """

    def __init__(self, items: list[tuple[Problem, str, dict]]) -> None:
        self.items = items
        self.outcomes: list[dict] | None = None

    def outcome(self, index: int) -> dict:
        if self.outcomes is None:
            self.outcomes = run_candidates(self.items)
        return self.outcomes[index]


class ScoredResponse(str):
    """The extracted code of one response, with the execution outcome and the generation's cost figures."""

    stats: dict[str, Any]
    raw: str

    def __new__(
        cls,
        code: str,
        execution: dict[str, Any] | None,
        stats: dict | None,
        raw: str,
        batch: ExecutionBatch | None = None,
        index: int = -1,
    ) -> ScoredResponse:
        obj = super().__new__(cls, code)
        obj._execution = execution
        obj._batch, obj._index = batch, index
        obj.stats = dict(stats or {})
        obj.raw = raw
        return obj

    @property
    def execution(self) -> dict[str, Any] | None:
        """The execution outcome (runs the task's whole batch on first access); ``None`` for targets not executed."""
        if self._execution is None and self._batch is not None:
            self._execution = self._batch.outcome(self._index)
        return self._execution

    @execution.setter
    def execution(self, value: dict[str, Any] | None) -> None:
        self._execution, self._batch = value, None

    def __reduce__(self):
        return (ScoredResponse, (str(self), self._execution, self.stats, self.raw, self._batch, self._index))


def sandbox_settings() -> dict[str, Any]:
    return {
        "backend": os.environ.get(BACKEND_ENV, "auto"),
        "allow_unsafe": os.environ.get(ALLOW_UNSAFE_ENV, "").lower() in ("1", "true", "yes"),
    }


def execute(resps: list[list[str]], docs: list[dict]) -> list[list[ScoredResponse]]:
    """Custom filter: extract the code of every response; all of them are executed in one sandbox batch when the
    first is scored (never in a ``--predict_only`` run). Targets without a harness (C#) are not executed."""
    from codeeff.tasks.gtranseval.harness import EXECUTABLE

    codes = [[extract_for(doc, str(r)) for r in responses] for responses, doc in zip(resps, docs, strict=True)]
    flat = [(i, j) for i, doc in enumerate(docs) if doc["target_lang"] in EXECUTABLE for j in range(len(codes[i]))]
    if docs and len(flat) < sum(len(c) for c in codes):
        _record_not_executed(docs[0])
    batch = ExecutionBatch([(problem_of(docs[i]), codes[i][j], docs[i]) for i, j in flat]) if flat else None
    position = {pair: k for k, pair in enumerate(flat)}
    return [
        [
            ScoredResponse(
                code,
                None,
                getattr(resps[i][j], "stats", None),
                str(resps[i][j]),
                batch if (i, j) in position else None,
                position.get((i, j), -1),
            )
            for j, code in enumerate(codes[i])
        ]
        for i in range(len(docs))
    ]


def extract_for(doc: dict, response: str) -> str:
    """The code of ``response``, choosing among fenced blocks the one that defines the problem's entry function."""
    from codeeff.tasks.gtranseval.extract import extract_code
    from codeeff.tasks.gtranseval.harness import preferred_names

    problem = problem_of(doc)
    return extract_code(response, doc["target_lang"], preferred_names(problem), len(problem.params_type))


def _record_not_executed(doc: dict) -> None:
    """State in the results (``results["codeeff"]["sandbox"]``) that this task's answers were not executed."""
    import shutil

    from codeeff.provenance import record_sandbox

    dotnet = shutil.which("dotnet")
    record_sandbox(
        task_name_of(doc),
        backend=None,
        isolation=None,
        executed=False,
        reason=f"no {doc['target_lang']} test harness in codeeff (dotnet toolchain: {dotnet or 'not found'}); "
        "CA is not computed, text metrics only",
    )


def run_candidates(
    items: list[tuple[Problem, str, dict]], progress: bool = True, mode: str | None = None
) -> list[dict]:
    """Execute ``(problem, code, doc)`` candidates in one sandbox call; return one outcome dict per candidate."""
    from codeeff.provenance import record_sandbox
    from codeeff.sandbox import run_jobs
    from codeeff.tasks.gtranseval.harness import build_job
    from codeeff.tasks.gtranseval.verdict import ca_signature, equivalence_mode, outcome

    mode = mode or equivalence_mode()
    prepared = [build_job(problem, code, doc["target_lang"], mode=mode) for problem, code, doc in items]
    settings = sandbox_settings()
    results = run_jobs([p.job for p in prepared], progress=progress, **settings)
    if results:
        record_sandbox(
            task_name_of(items[0][2]), backend=results[0].backend, isolation=results[0].isolation, ca=ca_signature(mode)
        )
    return [outcome(p, result, mode) for p, result in zip(prepared, results, strict=True)]


# --- scoring --------------------------------------------------------------------------------------------------------


PASS_AT_K = (1, 5, 10)


def process_results(doc: dict, results: list[Any]) -> dict[str, Any]:
    """Per-document metrics (``results[0]`` holds the :class:`ScoredResponse` list of :func:`execute`, one per repeat).

    Execution metrics use every sample of the document: ``ca`` (and ``ca_type<T>``) is the share of passing samples,
    ``pass@k`` the unbiased estimator for each k <= n (k in 1, 5, 10), ``exec_status_*`` the share of samples per
    status. A sample whose execution is a harness fault (sandbox status ``sandbox_error``) is excluded from these
    denominators and counted in ``n_sandbox_error``; a document whose samples all are is left out of CA and pass@k.
    ``n_samples`` records n. Text metrics and cost figures are those of the first sample.
    """
    from codeeff.metrics import edit_similarity
    from codeeff.metrics.cost import sample_cost_metrics
    from codeeff.metrics.execution import document_metrics

    responses = results[0] if isinstance(results[0], list) else list(results)
    response = responses[0]
    code = str(response)
    item = {"reference": doc["reference"], "prediction": code, "language": doc["target_lang"]}
    metrics: dict[str, Any] = {name: item for name in TEXT_METRICS}
    metrics["edit_similarity"] = edit_similarity(prediction=code, reference=doc["reference"])
    executions = [getattr(r, "execution", None) for r in responses]
    if all(e is not None for e in executions):
        counted = [e for e in executions if not is_sandbox_error(e)]
        metrics["n_samples"] = float(len(responses))
        metrics["n_sandbox_error"] = float(len(executions) - len(counted))
        if counted:
            passed, kinds = [bool(e["passed"]) for e in counted], [e["status"] for e in counted]
            metrics.update(document_metrics(passed, kinds, known_kinds=EXEC_STATUSES, type_=doc["type"], ks=PASS_AT_K))
        records = [{k: v for k, v in e.items() if k != "backend"} for e in executions]
        metrics["compile_rate"] = {**records[0], **({"all": records} if len(records) > 1 else {})}
    metrics.update(sample_cost_metrics(response))
    return metrics


def is_sandbox_error(execution: dict[str, Any]) -> bool:
    """Whether an execution failed by the harness's fault (never counted against a model)."""
    return "sandbox_error" in (execution.get("sandbox_status"), execution.get("status"))


def total(values: list[float]) -> float:
    """Aggregation: the sum over documents (``n_sandbox_error``)."""
    return float(sum(values))


TEXT_METRICS = (
    "codebleu",
    "codebleu_ngram",
    "codebleu_weighted_ngram",
    "codebleu_syntax",
    "codebleu_dataflow",
    "bleu",
    "bleu_cxg",
)


def compile_rate(items: list[dict]) -> float:
    """Aggregation of the per-document execution records (the first sample's, with every sample's under ``all``
    when there are several): share of samples whose code compiled/parsed and loaded, harness faults excluded."""
    records = [r for item in items for r in item.get("all", [item])]
    records = [r for r in records if not is_sandbox_error(r)]
    if not records:
        return float("nan")
    return sum(1 for r in records if r["status"] != Verdict.COMPILE_ERROR) / len(records)
