"""Preflight refuses a G-TransEval run before any model loads: missing unsafe-code confirmation, no sandbox."""

from __future__ import annotations

import argparse

import pytest

from codeeff.tasks import preflight
from codeeff.tasks.gtranseval.preflight import PreflightError, check, may_target_csharp


def _args(tasks, confirm):
    return argparse.Namespace(tasks=tasks, confirm_run_unsafe_code=confirm, metadata=None)


def test_flag_is_required_and_explained():
    with pytest.raises(PreflightError, match="--confirm_run_unsafe_code"):
        check({"gtranseval_*"}, _args("gtranseval_java2python", False))
    with pytest.raises(PreflightError, match="lm-eval itself would only refuse after building the model"):
        preflight(_args("codeeff_translation", False))  # the CLI's hook, through codeeff.tasks.TAG_PATTERNS
    check({"gtranseval_*"}, _args("gtranseval_java2python", True))  # bwrap is usable here


def test_csharp_directions_execute_and_need_mono(monkeypatch):
    with pytest.raises(PreflightError, match="--confirm_run_unsafe_code"):
        check({"gtranseval_*"}, _args("gtranseval_python2csharp", False))
    assert may_target_csharp(_args("gtranseval_java2csharp_type2", True))
    assert may_target_csharp(_args("codeeff_translation", True))  # a tag may cover the C# directions
    assert not may_target_csharp(_args("gtranseval_java2python,gtranseval_csharp2cpp", True))
    check({"gtranseval_*"}, _args("gtranseval_python2csharp", True))  # Mono is installed here
    monkeypatch.setattr("codeeff.sandbox.csharp.MCS_EXE", "/nonexistent/mcs.exe")
    with pytest.raises(PreflightError, match="apt-get install -y mono-mcs mono-runtime"):
        check({"gtranseval_*"}, _args("gtranseval_python2csharp", True))
    check({"gtranseval_*"}, _args("gtranseval_java2python", True))  # no C# direction: Mono not needed


@pytest.mark.slow
def test_unusable_sandbox_fails_before_the_model_loads(codeeff_cli, data_dir, tmp_path):
    # A model path that does not exist: reaching model loading would give a different error.
    data = {"CODEEFF_DATA_DIR": str(data_dir)}
    env = {**data, "CODEEFF_SANDBOX_BACKEND": "docker", "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    out = codeeff_cli(
        "run", "--model", "hf", "--model_args", f"pretrained={tmp_path / 'no-model'}",
        "--tasks", "gtranseval_java2python", "--confirm_run_unsafe_code", env=env, timeout=300,
    )  # fmt: skip
    assert out.returncode != 0
    assert "G-TransEval needs a sandbox" in out.stderr and "docker" in out.stderr


def test_predict_only_needs_no_confirmation_and_no_sandbox(monkeypatch):
    monkeypatch.setenv("CODEEFF_SANDBOX_BACKEND", "docker")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # no usable sandbox at all
    args = _args("gtranseval_java2python", False)
    args.predict_only = True
    check({"gtranseval_*"}, args)
    assert args.confirm_run_unsafe_code is True  # lm-eval's unsafe-task check, answered: nothing is executed
    args.predict_only = False
    with pytest.raises(PreflightError):
        check({"gtranseval_*"}, _args("gtranseval_java2python", False))
