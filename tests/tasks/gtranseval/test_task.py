"""The task functions lm-eval calls: dataset, prompt, the batched execution filter and per-sample scoring.

The "oracle" test scores the reference translations as if a model had answered them (wrapped the way a chat model
answers: prose plus a fenced block), which must give CA 1.0.
"""

from __future__ import annotations

import pytest

from codeeff.model_adapters.measure.generation_stats import GenerationWithStats
from codeeff.tasks.gtranseval import task


@pytest.fixture(scope="module")
def java2python(data_dir):
    return task.load_dataset(
        "java", "python", types=[1, 4], task_name="gtranseval_java2python", data_dir=str(data_dir)
    )["test"]


def test_dataset_rows_are_real_code_and_self_contained(java2python):
    assert len(java2python) == 150
    doc = java2python[0]
    assert doc["source_code"].startswith("int greatestCommonDivisor(int a, int b) {\n")
    assert doc["reference"].startswith("def greatest_common_divisor(a, b):\n")
    assert task.problem_of(doc).tests[0].expected == "1"
    prompt = task.doc_to_text(doc)
    assert (
        "Translate the following Java function into Python" in prompt and "```java\nint greatestCommonDivisor" in prompt
    )
    assert doc["answer_prefix"] == "Python translation:\n```python\n"


def test_oracle_scores_ca_one_and_keeps_cost_stats(java2python, monkeypatch, tmp_path):
    monkeypatch.setenv("CODEEFF_CACHE_DIR", str(tmp_path))
    docs = [java2python[i] for i in (0, 1, 125, 149)]
    resps = [
        [
            GenerationWithStats(
                f"Here you go:\n```python\n{doc['reference']}```\nDone.", {"flops": 1e6, "latency_s": 0.5}
            )
        ]
        for doc in docs
    ]
    resps[1] = [GenerationWithStats("def nope(n):\n    return -1\n```", {"flops": 2e6})]
    filtered = task.execute(resps, docs)
    assert [type(r[0]).__name__ for r in filtered] == ["ScoredResponse"] * 4
    assert str(filtered[0][0]) == docs[0]["reference"]
    metrics = [task.process_results(doc, [out]) for doc, out in zip(docs, filtered, strict=True)]  # as lm-eval calls it
    assert [m["ca"] for m in metrics] == [1.0, 0.0, 1.0, 1.0]
    assert metrics[0]["ca_type1"] == 1.0 and metrics[2]["ca_type4"] == 1.0 and "ca_type4" not in metrics[0]
    assert metrics[1]["exec_status_wrong_answer"] == 1.0 and metrics[1]["compile_rate"]["failure"].startswith("test 0")
    assert metrics[0]["flops"] == 1e6 and metrics[0]["latency_s"] == 0.5 and metrics[1]["flops"] == 2e6
    assert metrics[0]["codebleu"] == {
        "reference": docs[0]["reference"],
        "prediction": docs[0]["reference"],
        "language": "python",
    }
    assert metrics[0]["edit_similarity"] == 100.0 and metrics[1]["edit_similarity"] < 100.0
    assert task.compile_rate([m["compile_rate"] for m in metrics]) == 1.0


def test_csharp_targets_are_executed(data_dir):
    docs = list(task.load_dataset("python", "csharp", types=[4], data_dir=str(data_dir))["test"])[:2]
    answers = [[docs[0]["reference"]], ["int Unrelated(int x) { return x; }"]]
    filtered = task.execute(answers, docs)
    metrics = [task.process_results(doc, [f]) for doc, f in zip(docs, filtered, strict=True)]
    assert metrics[0]["ca"] == 1.0 and metrics[0]["ca_type4"] == 1.0 and "bleu" in metrics[0]
    assert metrics[1]["ca"] == 0.0
    assert filtered[0][0].execution["backend"] == "bwrap"


def test_n_samples_give_unbiased_pass_at_k_in_one_batch(java2python, monkeypatch, tmp_path):
    """10 samples per problem (repeats: 10): all executed in one sandbox call, pass@1/5/10 = Chen et al.'s
    estimator, CA = share of passing samples; a harness fault is excluded from the denominators and counted."""
    from codeeff.metrics import pass_at_k

    monkeypatch.setenv("CODEEFF_CACHE_DIR", str(tmp_path))
    docs = [java2python[0], java2python[1]]
    right = [f"```python\n{doc['reference']}```" for doc in docs]
    wrong = "def nope(a, b=0):\n    return -1\n```"
    resps = [[right[0]] * 3 + [wrong] * 7, [right[1]] * 10]
    calls = []
    real = task.run_candidates
    monkeypatch.setattr(task, "run_candidates", lambda items, **kw: calls.append(len(items)) or real(items, **kw))
    filtered = task.execute(resps, docs)
    assert calls == []  # nothing runs until a sample is scored (a --predict_only run never scores)
    first = task.process_results(docs[0], [filtered[0]])
    task.process_results(docs[1], [filtered[1]])
    assert calls == [20]  # one sandbox batch for every sample of every document
    assert first["n_samples"] == 10 and first["n_sandbox_error"] == 0
    assert first["ca"] == pytest.approx(0.3) and first["pass@1"] == pytest.approx(0.3)
    assert first["pass@5"] == pytest.approx(pass_at_k(10, 3, 5)) and first["pass@10"] == 1.0
    assert first["exec_status_wrong_answer"] == pytest.approx(0.7) and len(first["compile_rate"]["all"]) == 10
    # two of the wrong samples were harness faults: out of every denominator, counted in n_sandbox_error
    for sample in filtered[0][3:5]:
        sample.execution = {**sample.execution, "passed": False, "status": "other", "sandbox_status": "sandbox_error"}
    faulted = task.process_results(docs[0], [filtered[0]])
    assert faulted["n_sandbox_error"] == 2 and faulted["ca"] == pytest.approx(3 / 8)
    assert faulted["pass@5"] == pytest.approx(pass_at_k(8, 3, 5)) and "pass@10" not in faulted  # n=8 < 10
    assert task.compile_rate([faulted["compile_rate"]]) == 1.0
    for sample in filtered[1]:
        sample.execution = {**sample.execution, "sandbox_status": "sandbox_error"}
    all_faulted = task.process_results(docs[1], [filtered[1]])
    assert "ca" not in all_faulted and "pass@1" not in all_faulted and all_faulted["n_sandbox_error"] == 10
    assert task.total([2.0, 10.0]) == 12.0


def test_pass10_tasks_sample_ten_times(data_dir):
    import yaml

    from codeeff.tasks.gtranseval.generate_yaml import EXECUTED_TARGETS, files

    generated = files()
    pass10 = sorted(name for name in generated if name.endswith("_pass10.yaml"))
    assert len(pass10) == 4 * len(EXECUTED_TARGETS)
    config = yaml.safe_load(generated["gtranseval_java2python_pass10.yaml"])
    assert config["repeats"] == 10 and config["generation_kwargs"]["do_sample"] is True
    assert config["generation_kwargs"]["temperature"] > 0
    template = generated["_executed_template_yaml"]
    for metric in ("pass@1", "pass@5", "pass@10", "n_samples", "n_sandbox_error"):
        assert f"metric: {metric}\n" in template
