"""Every completion task through lm-eval's Python API (one tiny model, in-process, measured by codeeff-hf so the
per-sample cost figures flow through the tasks), and `rescore` reproducing scores and cost means."""

from __future__ import annotations

import math

import pytest

from codeeff.rescore.engine import rescore
from codeeff.tasks import tasks_dir

pytestmark = pytest.mark.slow

TASKS = [
    "codexglue_line_py150",
    "codexglue_line_javacorpus",
    *[f"{name}_ctx{f}" for name in ("py150", "javacorpus") for f in (20, 30, 50, 60)],
]

# Rescoring is generic (lm-eval's own loop against saved responses): test_e2e_cli covers a line task through the
# console scripts, test_rescore_generic a predictions file; one context-fraction task here keeps the test fast.
RESCORED = ["javacorpus_ctx60"]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def test_every_completion_task_runs_and_rescoring_reproduces_it(tmp_path, tiny_model_dir, data_dir):
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from codeeff import register_models

    register_models()
    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False, metadata={"data_dir": str(data_dir)})
    assert set(TASKS) <= set(manager.all_subtasks)
    tracker = EvaluationTracker(output_path=str(tmp_path / "live"))
    results = simple_evaluate(
        model="codeeff-hf",
        model_args=f"pretrained={tiny_model_dir}",
        device="cpu",
        tasks=["codeeff_completion"],
        task_manager=manager,
        limit=2,
        gen_kwargs={"max_gen_toks": 16},
        log_samples=True,
        evaluation_tracker=tracker,
    )
    samples = results.pop("samples")
    assert sorted(results["results"]) == sorted(TASKS)  # the codeeff_completion tag expands to all ten
    assert set(TASKS) <= manager.task_index["codeeff_suite"].tags
    tracker.save_results_aggregated(results=results, samples=samples)
    for task in TASKS:
        assert results["versions"][task] == 1.2
        assert results["results"][task]["gen_tokens,none"] > 0  # cost figures emitted per sample, averaged
        assert all(s["gen_tokens"] > 0 and "latency_s" in s for s in samples[task])
        assert all("status" in s and s["doc"]["language"] in ("python", "java") for s in samples[task])
        tracker.save_results_samples(task_name=task, samples=samples[task])

    for task in RESCORED:
        samples_file = next((tmp_path / "live").rglob(f"samples_{task}_*.jsonl"))
        rescored = rescore(task, samples=samples_file, limit=2).results["results"][task]
        live = results["results"][task]
        assert set(rescored) == set(live)
        assert all(_same(rescored[k], live[k]) for k in live), (task, live, rescored)
