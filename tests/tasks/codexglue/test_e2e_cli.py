"""End to end through the console scripts: `codeeff run` -> results + samples -> `codeeff score` reproduces them;
bad input gives one clear error; plain `lm_eval --include_path` runs our tasks too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from codeeff_support import run_codeeff

from codeeff.tasks import tasks_dir
from codeeff.tasks.codexglue import line_task

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out


def _one(paths) -> Path:
    found = sorted(paths)
    assert len(found) == 1, found
    return found[0]


def _scores(results: dict, task: str) -> dict:
    return {k: v for k, v in results["results"][task].items() if k not in ("alias", "name")}


def test_run_then_score_reproduces_the_live_scores(tmp_path, tiny_model_dir, data_dir):
    env = {"CODEEFF_DATA_DIR": str(data_dir)}
    live_dir = tmp_path / "live"
    live = run_codeeff(
        "run", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir}", "--tasks", "codexglue_line_py150",
        "--limit", "4", "--output_path", str(live_dir), "--log_samples", "--gen_kwargs", "max_gen_toks=24", env=env,
    )  # fmt: skip
    assert live.returncode == 0, live.stderr[-4000:]
    results = json.loads(_one(live_dir.rglob("results_*.json")).read_text())
    samples_file = _one(live_dir.rglob("samples_codexglue_line_py150_*.jsonl"))
    samples = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert len(samples) == 4
    for sample in samples:
        assert sample["status"].split(":")[0] in ("ok", "empty")
        line, _ = line_task.predicted_line(sample["filtered_resps"][0], sample["doc"])
        assert "<EOL>" not in line  # the scored line is one line of the output
        assert 0 <= sample["edit_similarity"] <= 100
    assert results["versions"]["codexglue_line_py150"] == 1.2
    assert results["codeeff"]["data"]["codexglue_line_py150"]["split"] == "dev"
    assert results["codeeff"]["data"]["codexglue_line_py150"]["rows"] == 3819

    scored = run_codeeff(
        "score", "--task", "codexglue_line_py150", "--samples", str(samples_file), "--output", str(tmp_path / "re"),
        env=env,
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr[-4000:]
    rescored = json.loads(_one((tmp_path / "re").rglob("results_*.json")).read_text())
    assert _scores(rescored, "codexglue_line_py150") == _scores(results, "codexglue_line_py150")
    assert rescored["config"]["rescored"]["kind"] == "samples"
    assert rescored["config"]["model_args"] == results["config"]["model_args"]
    assert _one((tmp_path / "re").rglob("samples_codexglue_line_py150_*.jsonl"))


def test_missing_data_dir_is_one_clear_error_before_the_model(tmp_path):
    out = run_codeeff(
        "run", "--model", "hf", "--model_args", f"pretrained={tmp_path / 'no-model-here'}", "--tasks",
        "codexglue_line_py150", "--limit", "1", "--metadata", '{"data_dir": "/nonexistent"}',
    )  # fmt: skip
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert "codeeff: error:" in out.stderr and "no data for dataset 'codexglue_line'" in out.stderr
    assert "/nonexistent" in out.stderr


def test_unknown_model_arg_is_one_clear_error(tiny_model_dir, data_dir):
    out = run_codeeff(
        "run", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir},no_such_arg=1", "--tasks",
        "javacorpus_ctx20", "--limit", "1", env={"CODEEFF_DATA_DIR": str(data_dir)},
    )  # fmt: skip
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("codeeff: error:")]
    assert len(errors) == 1 and "no_such_arg" in errors[0]


def test_vanilla_lm_eval_with_include_path_runs_our_task(tmp_path, tiny_model_dir, data_dir):
    out = subprocess.run(
        [
            str(Path(sys.executable).with_name("lm_eval")), "run", "--include_path", str(tasks_dir()), "--model", "hf",
            "--model_args", f"pretrained={tiny_model_dir}", "--device", "cpu", "--tasks", "javacorpus_ctx30",
            "--limit", "2", "--gen_kwargs", "max_gen_toks=24", "--output_path", str(tmp_path),
            "--metadata", json.dumps({"data_dir": str(data_dir)}),
        ],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "DISABLE_MULTIPROC": "1"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-4000:]
    results = json.loads(_one(tmp_path.rglob("results_*.json")).read_text())
    scores = results["results"]["javacorpus_ctx30"]
    assert 0 <= scores["token_accuracy,none"] <= 1 and scores["levenshtein_distance,none"] >= 0
