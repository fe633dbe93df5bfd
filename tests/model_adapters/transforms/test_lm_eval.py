"""The transforms end to end through lm-eval and ``codeeff-hf`` on a real codeeff task (CodeXGLUE line completion)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transforms_helpers import run_codeeff

from codeeff.model_adapters.tiny import FAMILIES, save_tiny_model

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out

TASK = "codexglue_line_py150"


def _one(paths) -> Path:
    found = sorted(paths)
    assert len(found) == 1, found
    return found[0]


def test_cli_run_with_nose_selection_and_svd(tmp_path, data_dir):
    """`codeeff run --model codeeff-hf` with NOSE on a calibration file, stacked on a truncated SVD."""
    model_dir = save_tiny_model(tmp_path / "llama", "llama")
    calib = tmp_path / "calib.txt"
    calib.write_text("def add(a, b):\n    return a + b\n\n\nfor i in range(10):\n    print(i)\n")
    args = (
        f"pretrained={model_dir},attn_bypass=nose:1,calib={calib},calib_n=4,"
        "factorize=svd,factorize_targets=[gate,up],rank=8"
    )
    out = run_codeeff(
        "run", "--model", "codeeff-hf", "--model_args", args, "--tasks", TASK, "--limit", "2",
        "--gen_kwargs", "max_gen_toks=6", "--output_path", str(tmp_path / "out"),
        env={"CODEEFF_DATA_DIR": str(data_dir)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-4000:]
    efficiency = json.loads(_one((tmp_path / "out").rglob("results_*.json")).read_text())["config"]["efficiency"]
    factorized, bypassed = efficiency["variant"]["transforms"]
    assert factorized["name"] == "factorize" and factorized["ranks"] == {"gate": 8, "up": 8}
    assert 0 < factorized["rsse_avg"] < 1 and factorized["compression_ratio"] < 1
    assert bypassed["name"] == "attn_bypass" and len(bypassed["layers"]) == 1
    assert bypassed["selection"]["nose"]["selected"] == bypassed["layers"]
    figures = efficiency["figures"]
    assert figures["flops_per_token"]["value"] < figures["flops_dense_per_token"]["value"]
    assert figures["compression_ratio"]["value"] < factorized["compression_ratio"]  # bypass drops attention too


@pytest.fixture(scope="module")
def completion_task(data_dir):
    import os

    from lm_eval.tasks import TaskManager

    from codeeff.tasks import tasks_dir

    os.environ.setdefault("CODEEFF_DATA_DIR", str(data_dir))
    return TaskManager(include_path=str(tasks_dir()), include_defaults=False)


def _evaluate(model_args: str, task_manager) -> dict:
    from lm_eval import simple_evaluate

    return simple_evaluate(
        model="codeeff-hf", model_args=model_args, tasks=[TASK], limit=2, task_manager=task_manager,
        gen_kwargs="max_gen_toks=4", batch_size=2, device="cpu",
    )  # fmt: skip


def test_every_family_with_both_transforms_through_simple_evaluate(tmp_path, completion_task):
    """Each family: blend-degenerated attention on layers 0 and 2 over a GlobaL Fact q/k factorization."""
    import codeeff.model_adapters.lm  # noqa: F401  (registers codeeff-hf)

    for family in FAMILIES:
        model_dir = save_tiny_model(tmp_path / family, family)
        args = (
            f"pretrained={model_dir},attn_bypass=0;2,bypass_mode=blend,blend_m=0,input_scale=2,"
            "factorize=globalfact,factorize_targets=q;k,rank=8,global_init=1"
        )
        results = _evaluate(args, completion_task)
        transforms = results["config"]["efficiency"]["variant"]["transforms"]
        assert [t["name"] for t in transforms] == ["factorize", "attn_bypass"], family
        assert transforms[0]["shared_tensors"] == ["global.k.down", "global.q.down"], family
        assert transforms[1]["layers"] == [0, 2] and not transforms[1]["attention_computed"], family
        assert results["results"][TASK]["gen_tokens,none"] > 0, family


def test_saved_factors_load_through_model_args(tmp_path, completion_task):
    """A MASS variant saved once, evaluated from its folder (factors=)."""
    from transformers import AutoModelForCausalLM

    import codeeff.model_adapters.lm  # noqa: F401
    from codeeff.model_adapters.arch import spec_for_model
    from codeeff.model_adapters.factorize import FactorizeSpec, factorize_model, save_factorized

    model_dir = save_tiny_model(tmp_path / "opt", "opt")
    model = AutoModelForCausalLM.from_pretrained(model_dir)  # the very weights the evaluation loads
    arch = spec_for_model(model)
    transform = factorize_model(model, arch, FactorizeSpec("mass", ("fc1", "fc2"), layers=(1, 2, 3)))
    folder = save_factorized(transform, tmp_path / "mass-variant", model)
    results = _evaluate(f"pretrained={model_dir},factors={folder}", completion_task)
    described = results["config"]["efficiency"]["variant"]["transforms"][0]
    assert described["source"] == str(folder) and described["method"] == "mass"
    assert described["shared_tensors"] == [
        "shared.fc1.bias",
        "shared.fc1.weight",
        "shared.fc2.bias",
        "shared.fc2.weight",
    ]
    assert results["config"]["efficiency"]["figures"]["params"]["value"] == described["params_after"]
