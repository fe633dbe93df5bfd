"""``codeeff bench train``'s evaluation runs: resumable (a finished run of the same command is read back, a changed
variant file runs again) and run in parallel with one torch thread each."""

from __future__ import annotations

import json

import pytest

from codeeff.bench.train_runs import add_intervals, run_all, run_task

pytestmark = pytest.mark.slow


@pytest.fixture
def data_env(data_dir, monkeypatch):
    monkeypatch.setenv("CODEEFF_DATA_DIR", str(data_dir))  # the runs are subprocesses


def _spec(path, threshold: str) -> str:
    path.write_text(f"early_exit: confidence:{threshold}\nexit_layers: [2, 4]\nkv_mode: copy\n")
    return str(path)


def test_a_finished_run_is_reused_and_a_changed_variant_runs_again(tiny6, tmp_path, data_env):
    spec = _spec(tmp_path / "v.yaml", "0.5")
    first = run_task(tiny6, spec, tmp_path / "run", 1, ["--gen_kwargs", "max_gen_toks=4"], reuse=True)
    log = tmp_path / "run.log"
    stamp = log.stat().st_mtime_ns
    again = run_task(tiny6, spec, tmp_path / "run", 1, ["--gen_kwargs", "max_gen_toks=4"], reuse=True)
    assert log.stat().st_mtime_ns == stamp and again == first  # read back, not run
    _spec(tmp_path / "v.yaml", "0.9")
    changed = run_task(tiny6, spec, tmp_path / "run", 1, ["--gen_kwargs", "max_gen_toks=4"], reuse=True)
    assert log.stat().st_mtime_ns != stamp and changed["command"] == first["command"]
    assert first["max_doc_id"] == 0 and first["gen_tokens"] > 0 and first["layers_per_token"] <= 6


def test_parallel_runs_get_one_thread_each_and_keep_their_names(tiny6, tmp_path, data_env):
    gen = ["--gen_kwargs", "max_gen_toks=4"]
    jobs = {
        "dense": (tiny6, None, tmp_path / "dense", gen),
        "untuned confidence T=0.5": (tiny6, _spec(tmp_path / "c.yaml", "0.5"), tmp_path / "conf", gen),
    }
    runs = run_all(jobs, 1, reuse=False, parallel=2)
    assert list(runs) == ["dense", "untuned confidence T=0.5"]
    assert all(run["omp_threads"] == 1 for run in runs.values())
    assert runs["dense"]["layers_per_token"] == 6


def _retrain_in_place(folder) -> None:
    """New weights at the same path (what a resumed or repeated training run leaves)."""
    from safetensors.torch import load_file, save_file

    weights = load_file(str(folder / "model.safetensors"))
    save_file({name: tensor + 0.01 for name, tensor in weights.items()}, str(folder / "model.safetensors"))


def test_a_model_retrained_at_the_same_path_runs_again(tiny6, tmp_path, data_env):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny6, model)
    gen = ["--gen_kwargs", "max_gen_toks=4"]
    run_task(model, None, tmp_path / "run", 1, gen, reuse=True)
    log = tmp_path / "run.log"
    stamp = log.stat().st_mtime_ns
    _retrain_in_place(model)
    run_task(model, None, tmp_path / "run", 1, gen, reuse=True)
    assert log.stat().st_mtime_ns != stamp


def test_a_reused_record_must_match_the_options_and_the_weights(tiny6, tmp_path):
    import argparse
    import shutil

    from codeeff.bench.train import _policy_stale, _record_differs
    from codeeff.train.cli import build_parser
    from codeeff.train.common import Record

    model = tmp_path / "model"
    shutil.copytree(tiny6, model)
    argv = ["exits", "--model", str(model), "--out", str(tmp_path / "out"), "--max-steps", "400", "--lr", "1e-4"]
    args: argparse.Namespace = build_parser(argv).parse_args(argv)
    Record("exits", vars(args)).write(tmp_path)
    record_file = tmp_path / "training.json"
    record = json.loads(record_file.read_text())
    assert _record_differs(record, argv + ["--no-progress", "--save-steps", "7"], model) == ""
    assert "max_steps: 400 != 800" in _record_differs(record, [*argv[:-4], "--max-steps", "800", "--lr", "1e-4"], model)
    assert not _policy_stale(record_file, argv, model)
    _retrain_in_place(model)
    assert "weights" in _record_differs(record, argv, model)
    assert _policy_stale(record_file, argv, model)


def test_a_policy_on_exit_adapters_that_changed_is_trained_again(tiny6, tmp_path):
    import argparse

    from codeeff.bench.train import _policy_stale
    from codeeff.model_adapters.spec import content_sha256
    from codeeff.train.cli import build_parser
    from codeeff.train.common import Record

    adapters = tmp_path / "exit_adapters.safetensors"
    adapters.write_bytes(b"adapters v1")
    argv = ["exit-policy", "--kind", "classifier", "--model", str(tiny6), "--out", str(tmp_path / "p"),
            "--exit-adapters", str(adapters)]  # fmt: skip
    args: argparse.Namespace = build_parser(argv).parse_args(argv)
    record = Record("exit-policy/classifier", vars(args))
    record.data["exit_adapters"] = {"path": str(adapters), "sha256": content_sha256(adapters)}
    record.write(tmp_path)
    assert not _policy_stale(tmp_path / "training.json", argv, tiny6)
    adapters.write_bytes(b"adapters v2")  # refitted into the same file
    assert _policy_stale(tmp_path / "training.json", argv, tiny6)


def test_a_run_on_named_documents_evaluates_those(tiny6, tmp_path, data_env):
    samples = ["--samples", json.dumps({"py150_ctx30": [3, 5]})]
    run = run_task(tiny6, None, tmp_path / "run", None, ["--gen_kwargs", "max_gen_toks=2", *samples])
    assert run["documents"] == 2 and run["max_doc_id"] >= 5
    assert "--limit" not in run["command"]
    # the task's logged samples give the run's own scores back, so its quality ratios get intervals
    runs = {"dense": run, "classifier T=0.9": dict(run, flops_per_gen_token_ratio=0.7)}
    add_intervals(runs)
    for metric in ("rougeL", "codebleu"):
        expected = [1.0, 1.0] if run[metric] else None  # a random tiny model may score 0: no ratio then
        assert runs["classifier T=0.9"][f"{metric}_ratio_interval"] == expected
    assert runs["classifier T=0.9"]["target_verdict"] in ("met", "inconclusive")
