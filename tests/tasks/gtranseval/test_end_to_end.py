"""`codeeff run` on a G-TransEval task with a tiny random-init model, as a user runs it (console script).

A random model's translations fail CA (the oracle path in test_task.py checks CA 1.0); here the run must complete,
with every declared metric in the results and the execution record in the samples. Both prompt modes run: plain
completion and the model's chat template (``--apply_chat_template``).
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out


@pytest.mark.parametrize("chat", [False, True], ids=["completion", "chat-template"])
def test_run_java2python_with_tiny_model(codeeff_cli, tiny_model_dir, data_dir, tmp_path, chat):
    out_dir = tmp_path / "out"
    args = [
        "run", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir}",
        "--tasks", "gtranseval_java2python_type4" if chat else "gtranseval_java2python", "--limit", "2",
        "--gen_kwargs", "max_gen_toks=48", "--confirm_run_unsafe_code", "--log_samples",
        "--output_path", str(out_dir), "--metadata", json.dumps({"data_dir": str(data_dir)}),
    ]  # fmt: skip
    if chat:
        args.append("--apply_chat_template")
    done = codeeff_cli(*args, env={"CODEEFF_CACHE_DIR": str(tmp_path / "cache")}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (results_file,) = out_dir.rglob("results_*.json")
    results = json.loads(results_file.read_text())
    task = "gtranseval_java2python_type4" if chat else "gtranseval_java2python"
    scores = results["results"][task]
    for metric in ("ca", "compile_rate", "exec_status_passed", "codebleu", "bleu", "bleu_cxg", "edit_similarity"):
        assert f"{metric},none" in scores, sorted(scores)
    assert 0.0 <= scores["ca,none"] <= 1.0
    assert results["versions"][task] == 1.1
    assert results["codeeff"]["sandbox"][task]["backend"]
    (samples_file,) = out_dir.rglob(f"samples_{task}_*.jsonl")
    samples = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert len(samples) == 2
    for sample in samples:
        record = sample["compile_rate"]
        assert record["status"] in ("passed", "wrong_answer", "compile_error", "runtime_error", "timeout", "other")
        assert record["passed"] == (sample["ca"] == 1.0)
        assert record["passed"] or record["failure"]
        prompt = sample["arguments"]["gen_args_0"]["arg_0"]
        assert "```java\n" in prompt and prompt.rstrip().endswith("```python")
        assert ("<|im_start|>user" in prompt) == chat


def test_pass10_run_records_n_and_pass_at_k(codeeff_cli, tiny_model_dir, data_dir, tmp_path):
    """`gtranseval_<d>_pass10` through lm-eval: 10 sampled answers per problem reach process_results together."""
    out_dir = tmp_path / "out"
    args = [
        "run", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir}",
        "--tasks", "gtranseval_java2python_pass10", "--limit", "2", "--gen_kwargs", "max_gen_toks=16",
        "--confirm_run_unsafe_code", "--log_samples", "--output_path", str(out_dir),
        "--metadata", json.dumps({"data_dir": str(data_dir)}),
    ]  # fmt: skip
    done = codeeff_cli(*args, env={"CODEEFF_CACHE_DIR": str(tmp_path / "cache")}, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    (results_file,) = out_dir.rglob("results_*.json")
    scores = json.loads(results_file.read_text())["results"]["gtranseval_java2python_pass10"]
    assert scores["n_samples,none"] == 10.0 and scores["n_sandbox_error,none"] == 0.0
    for k in (1, 5, 10):
        assert 0.0 <= scores[f"pass@{k},none"] <= 1.0
    (samples_file,) = out_dir.rglob("samples_gtranseval_java2python_pass10_*.jsonl")
    samples = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert [len(s["resps"][0]) for s in samples] == [10, 10]
    assert all(len(s["compile_rate"]["all"]) == 10 for s in samples)
