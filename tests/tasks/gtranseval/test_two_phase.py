"""Two-phase runs as on separate machines: `--predict_only` generation (no sandbox, no unsafe-code flag), then
`codeeff score RUN_DIR` in shards plus a merge, which must equal one unsharded scoring of the same run folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out

TASKS = ("gtranseval_java2python", "codexglue_line_py150")


def _results(folder: Path) -> dict[str, dict]:
    """task -> results JSON of that task under ``folder`` (one results file per task)."""
    found = {}
    for path in folder.rglob("results_*.json"):
        data = json.loads(path.read_text())
        for task in data["results"]:
            found[task] = data
    return found


def test_predict_only_then_sharded_scoring_equals_one_scoring(codeeff_cli, tiny_model_dir, data_dir, tmp_path):
    run_dir = tmp_path / "run"
    no_sandbox = {"CODEEFF_SANDBOX_BACKEND": "docker", "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    cache = {"CODEEFF_CACHE_DIR": str(tmp_path / "cache")}
    generated = codeeff_cli(
        "run", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir}", "--tasks", ",".join(TASKS),
        "--limit", "5", "--gen_kwargs", "max_gen_toks=24", "--predict_only", "--output_path", str(run_dir),
        "--metadata", json.dumps({"data_dir": str(data_dir)}),
        env={**no_sandbox, **cache}, timeout=900,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr[-3000:]  # no --confirm_run_unsafe_code, no usable sandbox
    assert len(list(run_dir.rglob("samples_*.jsonl"))) == 2

    def score(*args: str):
        done = codeeff_cli("score", *args, env=cache, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    score(str(run_dir), "--confirm_run_unsafe_code", "--output", str(tmp_path / "whole"))
    score(str(run_dir), "--confirm_run_unsafe_code", "--shard", "0/2", "--output", str(tmp_path / "s0"))
    score(str(run_dir), "--confirm_run_unsafe_code", "--shard", "1/2", "--output", str(tmp_path / "s1"))
    incomplete = codeeff_cli("score", "merge", str(tmp_path / "s0"), "--output", str(tmp_path / "bad"), env=cache)
    assert incomplete.returncode != 0 and "shards [1] of 2 missing" in incomplete.stderr
    score("merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--output", str(tmp_path / "merged"))

    whole, merged = _results(tmp_path / "whole"), _results(tmp_path / "merged")
    shard0 = _results(tmp_path / "s0")
    assert set(whole) == set(merged) == set(TASKS)
    for task in TASKS:
        assert merged[task]["results"][task] == whole[task]["results"][task], task
        assert merged[task]["n-samples"][task] == whole[task]["n-samples"][task]
        assert whole[task]["n-samples"][task]["effective"] == 5
        assert shard0[task]["n-samples"][task]["effective"] == 3  # docs 0, 2, 4
    ca = whole["gtranseval_java2python"]["results"]["gtranseval_java2python"]
    assert "ca,none" in ca and "pass@1,none" in ca and ca["n_samples,none"] == 1.0
    assert merged["gtranseval_java2python"]["codeeff"]["sandbox"]["gtranseval_java2python"]["backend"]
