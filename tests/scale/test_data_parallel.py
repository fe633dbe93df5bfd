"""`torchrun --nproc_per_node 2 -m codeeff run --model codeeff-hf` on CPU (gloo): the same scores as one process, and
efficiency totals gathered over both ranks, per task."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from codeeff_support import REPO

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out

TASKS = ["py150_ctx20", "javacorpus_ctx20"]
COST = {"latency_s", "flops", "flops_dense", "gen_tokens", "layers_per_token", "energy_j"}  # per-sample cost metrics
ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "DISABLE_MULTIPROC": "1"}


def _run(launcher: list[str], model_dir: Path, out: Path, data_dir: Path) -> dict:
    args = ["--model", "codeeff-hf", "--model_args", f"pretrained={model_dir},early_exit=fixed:3", "--tasks",
            ",".join(TASKS), "--limit", "4", "--gen_kwargs", "max_gen_toks=4", "--batch_size", "1",
            "--output_path", str(out), "--log_samples"]  # fmt: skip
    env = {**os.environ, **ENV, "CODEEFF_DATA_DIR": str(data_dir)}
    proc = subprocess.run([*launcher, *args], capture_output=True, text=True, env=env, timeout=900, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(next(out.rglob("results_*.json")).read_text())


def _quality(results: dict) -> dict:
    return {
        task: {k: v for k, v in values.items() if k.split(",")[0] not in COST and "_stderr" not in k}
        for task, values in results["results"].items()
    }


def test_two_cpu_ranks_score_like_one_and_gather_totals(tmp_path, tiny_model_dir, data_dir):
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    two = _run([torchrun, "--standalone", "--nproc_per_node", "2", "-m", "codeeff", "run"], tiny_model_dir,
               tmp_path / "two", data_dir)  # fmt: skip
    one = _run([sys.executable, "-m", "codeeff", "run"], tiny_model_dir, tmp_path / "one", data_dir)
    assert _quality(two) == _quality(one)
    for task in TASKS:  # every document was scored once, split over the two ranks
        assert two["n-samples"][task]["effective"] == one["n-samples"][task]["effective"] == 4
    rec2, rec1 = two["config"]["efficiency"], one["config"]["efficiency"]
    assert (rec2["world_size"], rec1["world_size"]) == (2, 1)
    assert rec2["requests"] == rec1["requests"] == {"generate_until": 8, "loglikelihood": 0}
    deterministic = ("gen_tokens", "flops_total", "flops_dense_total", "layers_per_token", "params")
    for name in deterministic:
        assert rec2["figures"][name]["value"] == rec1["figures"][name]["value"], name
    assert sorted(rec2["tasks"]) == sorted(rec1["tasks"]) == sorted(TASKS)
    for task in TASKS:
        per2, per1 = rec2["tasks"][task], rec1["tasks"][task]
        assert per2["requests"] == per1["requests"] == {"generate_until": 4, "loglikelihood": 0}
        for name in deterministic:
            assert per2["figures"][name]["value"] == per1["figures"][name]["value"], (task, name)
    # per-task records differ (different prompts), and add up to the run's totals
    fl = [rec1["tasks"][t]["figures"]["flops_total"]["value"] for t in TASKS]
    assert fl[0] != fl[1] and sum(fl) == rec1["figures"]["flops_total"]["value"]
