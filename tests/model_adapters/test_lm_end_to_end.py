"""``codeeff-hf`` through lm-eval: every family x transform generates and scores a HellaSwag-format MC task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adapters_support import SINGLE_THREAD_ENV, roles

from codeeff.model_adapters.tiny import FAMILIES

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
TASKS = ["codeeff_adapters_gen", "codeeff_adapters_mc"]
CONTRACT_FIGURES = (
    "params", "param_bytes", "compression_ratio", "flops_per_token", "flops_dense_per_token", "layers_per_token",
    "prefill_s", "decode_s", "tokens_per_s", "latency_s_mean", "peak_memory_bytes", "kv_cache_bytes", "energy_j",
    "energy_j_per_generated_token", "energy_j_per_position", "gen_tokens", "resident_bytes",
)  # fmt: skip


def _transforms(family: str) -> dict[str, str]:
    """Transform name -> model_args suffix (lm-eval's k=v string, lists written the ways users write them)."""
    return {
        "none": "",
        "early_exit": ",early_exit=confidence:0.2,exit_layers=1,2,kv_mode=copy",
        "attn_bypass": ",attn_bypass=[0;2]",
        "factorize": f",factorize=svd,rank=8,factorize_targets={';'.join(roles(family))}",
    }


def _evaluate(model_args: str, tasks=TASKS, **kwargs) -> dict:
    import lm_eval
    from lm_eval.tasks import TaskManager

    import codeeff  # noqa: F401  (registers codeeff-hf)

    return lm_eval.simple_evaluate(
        model="codeeff-hf",
        model_args=model_args,
        tasks=tasks,
        task_manager=TaskManager(include_path=str(TASKS_DIR), include_defaults=False),
        batch_size=2,
        device="cpu",
        limit=3,
        **kwargs,
    )


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("transform", ["none", "early_exit", "attn_bypass", "factorize"])
def test_family_x_transform_through_lm_eval(family, transform, tiny_dirs):
    results = _evaluate(f"pretrained={tiny_dirs(family)}{_transforms(family)[transform]},energy=off")
    record = results["config"]["efficiency"]
    assert record["schema"] == "codeeff.efficiency/1"
    figures = record["figures"]
    assert set(CONTRACT_FIGURES) <= set(figures)
    for fig in figures.values():
        assert set(fig) == {"value", "unit", "status", "source", "reason"}
        assert (fig["value"] is None) == (fig["status"] == "unavailable")
    assert figures["energy_j"]["value"] is None and figures["energy_j"]["reason"]
    assert record["requests"] == {"generate_until": 3, "loglikelihood": 12}
    gen = results["results"]["codeeff_adapters_gen"]
    assert gen["flops,none"] > 0 and gen["gen_tokens,none"] >= 1 and "energy_j,none" not in gen
    assert 0 <= results["results"]["codeeff_adapters_mc"]["acc,none"] <= 1
    n_layers = 4
    if transform == "none":
        assert figures["flops_per_token"]["value"] == figures["flops_dense_per_token"]["value"]
        assert figures["layers_per_token"]["value"] == n_layers and record["variant"]["summary"].startswith("baseline")
    if transform == "early_exit":
        assert record["variant"]["spec"]["exit_layers"] == [1, 2]
        assert record["modes"]["loglikelihood"] == "simulated"
        assert figures["layers_per_token_simulated"]["status"] == "estimated"
        assert figures["exit_checks"]["value"] > 0
    if transform == "factorize":
        assert figures["compression_ratio"]["value"] < 1
        assert figures["flops_per_token"]["value"] < figures["flops_dense_per_token"]["value"]
    if transform == "attn_bypass":
        assert figures["flops_attention"]["value"] < figures["flops_dense_total"]["value"]


def test_fixed_exit_is_real_for_loglikelihood_and_json_model_args(tiny_dirs):
    results = _evaluate({"pretrained": str(tiny_dirs("llama")), "early_exit": "fixed:2", "energy": "off"})
    record = results["config"]["efficiency"]
    assert record["modes"] == {"generate_until": "real", "loglikelihood": "real"}
    assert record["figures"]["layers_per_token"]["value"] == 2
    assert record["exit_histogram"] == {"2": record["figures"]["gen_tokens"]["value"]}
    assert record["figures"]["flops_per_token"]["value"] < record["figures"]["flops_dense_per_token"]["value"]


def test_use_cache_replay_is_flagged_and_carries_no_figures(tiny_dirs, tmp_path):
    args = f"pretrained={tiny_dirs('qwen2')},early_exit=fixed:3"
    first = _evaluate(args, tasks=["codeeff_adapters_gen"], use_cache=str(tmp_path / "cache"))
    assert first["config"]["efficiency"]["cache_used"] is True
    assert "flops,none" in first["results"]["codeeff_adapters_gen"]
    replay = _evaluate(args, tasks=["codeeff_adapters_gen"], use_cache=str(tmp_path / "cache"))
    record = replay["config"]["efficiency"]
    assert record["cache_used"] is True and record["requests"]["generate_until"] == 0
    assert "flops,none" not in replay["results"]["codeeff_adapters_gen"]
    assert "replayed" in record["figures"]["gen_tokens"]["reason"]


def test_codeeff_command_runs_codeeff_hf(tiny_dirs, tmp_path):
    from tests.conftest import run_codeeff

    out = tmp_path / "out"
    proc = run_codeeff(
        "run", "--model", "codeeff-hf",
        "--model_args", f"pretrained={tiny_dirs('opt')},early_exit=saturation:0.5,exit_layers=[1,2,3]",
        "--tasks", ",".join(TASKS), "--include_path", str(TASKS_DIR), "--limit", "2", "--batch_size", "2",
        "--device", "cpu", "--output_path", str(out), "--log_samples", env=SINGLE_THREAD_ENV,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(next(out.rglob("results_*.json")).read_text())
    assert results["config"]["efficiency"]["variant"]["spec"]["exit_layers"] == [1, 2, 3]
    samples = [json.loads(line) for line in next(out.rglob("samples_codeeff_adapters_gen_*.jsonl")).open()]
    assert all(sample["flops"] > 0 and sample["latency_s"] > 0 for sample in samples)


def test_kv_mode_none_dense_reference_is_the_cached_model(tiny_dirs):
    """A never-firing exit generates the same tokens with and without a cache; both runs' dense reference is the
    unmodified model *with* its cache, so the cache-less run shows its real extra cost."""
    args = f"pretrained={tiny_dirs('llama')},early_exit=confidence:1.0,exit_layers=[2],energy=off,kv_mode="
    runs = {mode: _evaluate(args + mode, tasks=["codeeff_adapters_gen"]) for mode in ("copy", "none")}
    figures = {mode: run["config"]["efficiency"]["figures"] for mode, run in runs.items()}
    assert figures["none"]["gen_tokens"]["value"] == figures["copy"]["gen_tokens"]["value"]
    assert figures["none"]["flops_dense_total"]["value"] == figures["copy"]["flops_dense_total"]["value"]
    assert figures["none"]["flops_dense_per_token"]["value"] == figures["copy"]["flops_dense_per_token"]["value"]
    assert figures["none"]["flops_total"]["value"] > figures["copy"]["flops_total"]["value"]  # the prefix re-runs
    assert "KV cache" in figures["none"]["flops_dense_total"]["source"]


def test_recompute_refuses_batches_before_loading(tiny_dirs):
    from codeeff.model_adapters.spec import VariantSpecError

    with pytest.raises(VariantSpecError, match="batch size 1 only"):
        _evaluate(f"pretrained={tiny_dirs('llama')},early_exit=saturation:0.5,kv_mode=recompute",
                  tasks=["codeeff_adapters_gen"])  # fmt: skip
