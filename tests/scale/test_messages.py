"""Messages: one clean error line (no doubled prefix), and lm-eval's per-batch truncation warning once per run."""

from __future__ import annotations

import pytest
from codeeff_support import run_codeeff

from codeeff.messages import error_line


def test_error_line_has_one_prefix():
    assert error_line("codeeff: no data for dataset 'x'.") == "codeeff: error: no data for dataset 'x'."
    assert error_line(ValueError("codeeff-hf: unknown key")) == "codeeff: error: unknown key"
    assert error_line(RuntimeError("bad input")) == "codeeff: error: bad input"
    assert error_line(KeyError()) == "codeeff: error: KeyError"


@pytest.mark.slow
def test_missing_data_error_is_not_doubled(tmp_path, tiny_model_dir):
    env = {"CODEEFF_DATA_DIR": str(tmp_path / "missing"), "CODEEFF_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_codeeff("run", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir}", "--tasks",
                       "py150_ctx20", "--limit", "1", env=env)  # fmt: skip
    assert proc.returncode != 0
    assert proc.stderr.count("codeeff: error:") == 1 and "codeeff: error: codeeff" not in proc.stderr
    assert "codeeff: error: no data for dataset 'codexglue_line'" in proc.stderr


@pytest.mark.slow
def test_left_truncation_warned_once_per_run(tmp_path, tiny_model_dir, data_dir):
    proc = run_codeeff("run", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir},max_length=40",
                       "--tasks", "py150_ctx50", "--limit", "4", "--batch_size", "1", "--device", "cpu",
                       "--gen_kwargs", "max_gen_toks=4", env={"CODEEFF_DATA_DIR": str(data_dir)})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr.count("Left truncation applied. Original") == 1
    assert "Left truncation applied: 4 times in this run (only the first was shown)" in proc.stderr
