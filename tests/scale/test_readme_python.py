"""The README's Python snippet, extracted and run as written (a tiny model stands in for PATH), in a fresh process on
this CPU-only machine; plus ``import codeeff`` registering codeeff-hf for plain ``simple_evaluate`` without torch."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from codeeff_support import REPO

ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "DISABLE_MULTIPROC": "1"}


def readme_python_snippet() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("**From Python:**") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has no python block after 'From Python:'"
    return match.group(1)


def _python(code: str, data_dir, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENV, "CODEEFF_DATA_DIR": str(data_dir), "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=REPO)  # fmt: skip


@pytest.mark.slow
def test_readme_snippet_runs_as_written_on_cpu(tiny_model_dir, data_dir):
    snippet = readme_python_snippet()
    assert snippet.count("PATH") == 1
    code = snippet.replace("PATH", str(tiny_model_dir)) + (
        "\nimport json\nprint('RESULT', json.dumps({'device': results['config']['efficiency']['environment']"
        ".get('device'), 'codeeff': sorted(results['codeeff']), 'n': results['n-samples']}))\n"
    )
    proc = _python(code, data_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    assert '"device": "cpu"' in line
    assert '"signatures"' in line and '"environment"' in line and '"data"' in line
    assert '"effective": 20' in line


@pytest.mark.slow
def test_import_codeeff_registers_codeeff_hf_lazily(data_dir):
    code = (
        "import sys, codeeff\n"
        "from lm_eval.api.registry import get_model, model_registry\n"
        "assert 'torch' not in sys.modules, 'import codeeff loaded torch'\n"
        "assert 'codeeff-hf' in model_registry and 'hf' in model_registry\n"
        "print(get_model('hf').__name__, get_model('codeeff-hf').__name__)\n"
    )
    proc = _python(code, data_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["HFLM", "CodeeffHFLM"]


@pytest.mark.slow
def test_evaluate_writes_what_codeeff_run_writes(tmp_path, tiny_model_dir, data_dir):
    import json

    import codeeff

    results = codeeff.evaluate(model_args=f"pretrained={tiny_model_dir},early_exit=fixed:2", tasks="py150_ctx30",
                               limit=2, gen_kwargs={"max_gen_toks": 4}, data_dir=data_dir, output_path=tmp_path,
                               log_samples=True)  # fmt: skip
    assert results["config"]["model"] == "codeeff-hf" and len(results["samples"]["py150_ctx30"]) == 2
    written = json.loads(next(tmp_path.rglob("results_*.json")).read_text())
    assert written["codeeff"]["signatures"]["py150_ctx30"] and written["codeeff"]["data"]["py150_ctx30"]
    assert written["config"]["efficiency"]["tasks"]["py150_ctx30"]["requests"]["generate_until"] == 2
    assert len(next(tmp_path.rglob("samples_py150_ctx30_*.jsonl")).read_text().splitlines()) == 2


def test_evaluate_refuses_executed_tasks_without_confirmation(tiny_model_dir, data_dir):
    import pytest

    import codeeff
    from codeeff.tasks.gtranseval.preflight import PreflightError

    with pytest.raises(PreflightError, match="confirm_run_unsafe_code"):
        codeeff.evaluate(model_args=f"pretrained={tiny_model_dir}", tasks=["gtranseval_java2python"], limit=1,
                         data_dir=data_dir)  # fmt: skip
