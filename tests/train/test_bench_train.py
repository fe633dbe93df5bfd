"""``codeeff bench train``'s evaluation runs: resumable (a finished run of the same command is read back, a changed
variant file runs again) and run in parallel with one torch thread each."""

from __future__ import annotations

import pytest

from codeeff.bench.train import _run_all, _run_task

pytestmark = pytest.mark.slow


@pytest.fixture
def data_env(data_dir, monkeypatch):
    monkeypatch.setenv("CODEEFF_DATA_DIR", str(data_dir))  # the runs are subprocesses


def _spec(path, threshold: str) -> str:
    path.write_text(f"early_exit: confidence:{threshold}\nexit_layers: [2, 4]\nkv_mode: copy\n")
    return str(path)


def test_a_finished_run_is_reused_and_a_changed_variant_runs_again(tiny6, tmp_path, data_env):
    spec = _spec(tmp_path / "v.yaml", "0.5")
    first = _run_task(tiny6, spec, tmp_path / "run", 1, ["--gen_kwargs", "max_gen_toks=4"], reuse=True)
    log = tmp_path / "run.log"
    stamp = log.stat().st_mtime_ns
    again = _run_task(tiny6, spec, tmp_path / "run", 1, ["--gen_kwargs", "max_gen_toks=4"], reuse=True)
    assert log.stat().st_mtime_ns == stamp and again == first  # read back, not run
    _spec(tmp_path / "v.yaml", "0.9")
    changed = _run_task(tiny6, spec, tmp_path / "run", 1, ["--gen_kwargs", "max_gen_toks=4"], reuse=True)
    assert log.stat().st_mtime_ns != stamp and changed["command"] == first["command"]
    assert first["max_doc_id"] == 0 and first["gen_tokens"] > 0 and first["layers_per_token"] <= 6


def test_parallel_runs_get_one_thread_each_and_keep_their_names(tiny6, tmp_path, data_env):
    gen = ["--gen_kwargs", "max_gen_toks=4"]
    jobs = {
        "dense": (tiny6, None, tmp_path / "dense", gen),
        "untuned confidence T=0.5": (tiny6, _spec(tmp_path / "c.yaml", "0.5"), tmp_path / "conf", gen),
    }
    runs = _run_all(jobs, 1, reuse=False, parallel=2)
    assert list(runs) == ["dense", "untuned confidence T=0.5"]
    assert all(run["omp_threads"] == 1 for run in runs.values())
    assert runs["dense"]["layers_per_token"] == 6
