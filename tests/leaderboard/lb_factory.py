"""Synthetic lm-eval output directories, laid out and shaped exactly like what lm-eval 0.4.13 + codeeff write.

Modelled on a real ``codeeff run --log_samples`` output (results_<ts>.json with results/configs/versions/n-shot/
n-samples/config/codeeff blocks, samples_<task>_<ts>.jsonl with doc_id/doc_hash/metrics/values): tests control
every number, so deltas and verdicts can be checked by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
from pathlib import Path
from typing import Any

FIXED_DATE = 1795459469.0  # 2026-11-23T18:44:29Z
GOLDEN = Path(__file__).parent / "golden"


def check_golden(produced: Path, name: str) -> None:
    """Compare with tests/leaderboard/golden/NAME (CODEEFF_UPDATE_GOLDEN=1 rewrites it; review the diff)."""
    golden = GOLDEN / name
    if os.environ.get("CODEEFF_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(produced.read_text())
    assert produced.read_text() == golden.read_text()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def efficiency_record(
    spec_hash: str, summary: str, *, training_cost: dict[str, Any] | None = None, **values: float | None
) -> dict[str, Any]:
    """An efficiency record in the contract's shape; energy is unavailable on CPU unless given; ``training_cost`` is
    the variant's cost to make (what ``measure.training_cost`` reads from codeeff train records; None: untrained)."""
    figures: dict[str, Any] = {}
    defaults = {"params": 1_000_000, "param_bytes": 4_000_000, "compression_ratio": 1.0, "flops_per_token": 2e6,
                "flops_dense_per_token": 2e6, "layers_per_token": 4.0, "tokens_per_s": 50.0, "latency_s_mean": 0.2,
                "peak_memory_bytes": 50_000_000, "kv_cache_bytes": 65536, "gen_tokens": 80}  # fmt: skip
    for name, value in (defaults | values).items():
        status = "measured" if name in ("tokens_per_s", "latency_s_mean", "peak_memory_bytes") else "derived"
        figures[name] = {"value": value, "unit": "", "status": status, "source": "test", "reason": None}
    if "energy_j_per_generated_token" not in values:
        for name in ("energy_j", "energy_j_per_generated_token"):
            figures[name] = {"value": None, "unit": "J", "status": "unavailable", "source": "none",
                             "reason": "no RAPL or NVML sensor on this machine"}  # fmt: skip
    else:
        figures["energy_j_per_generated_token"]["status"] = "measured"
    return {
        "schema": "codeeff.efficiency/1",
        "variant": {
            "spec": {"summary": summary},
            "hash": spec_hash,
            "summary": summary,
            "training_cost": training_cost,
        },
        "figures": figures,
        "cache_used": False,
        "environment": {},
    }


def write_run(
    out_dir: Path,
    *,
    model: str = "tiny/llama",
    task: str = "synth_task",
    per_sample: dict[str, list[float]] | None = None,
    corpus: dict[str, float] | None = None,
    version: float = 1.0,
    split: str = "test",
    signatures: dict[str, str] | None = None,
    efficiency: dict[str, Any] | None = None,
    date: float = FIXED_DATE,
    timestamp: str = "2026-11-23T18-44-39.874876",
    log_samples: bool = True,
    doc_text: str = "doc",
    extra_results: dict[str, Any] | None = None,
    env_hash: str = "7ea38196269b",
) -> Path:
    """Write one run's results (+ samples) under ``out_dir/<model_sanitized>/``; return the results file path."""
    per_sample = per_sample if per_sample is not None else {"exact_match": [1, 0, 1, 1]}
    corpus = corpus or {}
    n = len(next(iter(per_sample.values()))) if per_sample else 4
    folder = out_dir / model.replace("/", "__")
    folder.mkdir(parents=True, exist_ok=True)
    task_results: dict[str, Any] = {"alias": task}
    for metric, values in per_sample.items():
        task_results[f"{metric},none"] = statistics.fmean(values)
        task_results[f"{metric}_stderr,none"] = statistics.stdev(values) / len(values) ** 0.5 if n > 1 else "N/A"
    for metric, value in corpus.items():
        task_results[f"{metric},none"] = value
        task_results[f"{metric}_stderr,none"] = "N/A"
    task_results.update(extra_results or {})
    model_args = {"pretrained": model, "dtype": "float32"}
    config: dict[str, Any] = {"model": "codeeff-hf" if efficiency else "hf", "model_args": model_args,
                              "model_num_parameters": 197184, "model_dtype": "torch.float32", "batch_size": "2",
                              "batch_sizes": [], "device": "cpu", "limit": float(n), "gen_kwargs": {}}  # fmt: skip
    if efficiency:
        config["efficiency"] = efficiency
    results = {
        "results": {task: task_results},
        "group_subtasks": {task: []},
        "configs": {
            task: {
                "task": task,
                "dataset_path": "json",
                "test_split": split,
                "num_fewshot": 0,
                "generation_kwargs": {"until": ["\n"], "max_gen_toks": 16, "do_sample": False},
                "metadata": {"version": version},
            }
        },  # fmt: skip
        "versions": {task: version},
        "n-shot": {task: 0},
        "higher_is_better": {task: {m: True for m in [*per_sample, *corpus]}},
        "n-samples": {task: {"original": n, "effective": n}},
        "config": config,
        "git_hash": None,
        "date": date,
        "pretty_env_info": "PyTorch version: 2.13.0+cpu\nIs debug build: False\n",
        "transformers_version": "5.23.0",
        "lm_eval_version": "0.4.13",
        "codeeff": {
            "version": "0.1.0",
            "signatures": {task: signatures or {}},
            "data": {},
            "sandbox": {},
            "environment": {"packages": {"torch": "2.13.0+cpu"}, "hash": env_hash},
        },  # fmt: skip
        "task_hashes": {task: _sha(task + doc_text)},
        "model_source": config["model"],
        "model_name": model,
        "model_name_sanitized": model.replace("/", "__"),
    }
    results_path = folder / f"results_{timestamp}.json"
    results_path.write_text(json.dumps(results, indent=2))
    if log_samples:
        with open(folder / f"samples_{task}_{timestamp}.jsonl", "w") as fh:
            for i in range(n):
                doc = {"prompt": f"{doc_text} {i}", "target": f"t{i}"}
                record: dict[str, Any] = {
                    "doc_id": i, "doc": doc, "target": doc["target"], "arguments": {}, "resps": [["x"]],
                    "filtered_resps": ["x"], "filter": "none", "metrics": [*per_sample, *corpus],
                    "doc_hash": _sha(json.dumps(doc)), "prompt_hash": _sha(doc["prompt"]), "target_hash": _sha("t"),
                }  # fmt: skip
                for metric, values in per_sample.items():
                    record[metric] = values[i]
                for metric in corpus:
                    record[metric] = [doc["target"], "x"]
                fh.write(json.dumps(record) + "\n")
    return results_path
