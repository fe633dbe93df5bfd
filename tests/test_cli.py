"""The `codeeff` command is lm_eval plus our tasks, models and subcommands."""

from __future__ import annotations

import textwrap

import pytest
from codeeff_support import run_codeeff

from codeeff.cli import LM_EVAL_SUBCOMMANDS, SUBCOMMANDS


def test_help_shows_lm_eval_flags_and_our_subcommands():
    top = run_codeeff("--help")
    assert top.returncode == 0, top.stderr
    assert "run" in top.stdout and "validate" in top.stdout
    for name in SUBCOMMANDS:
        assert name in top.stdout
    run = run_codeeff("run", "--help")
    assert run.returncode == 0
    for flag in ("--model_args", "--include_path", "--log_samples", "--confirm_run_unsafe_code", "--metadata"):
        assert flag in run.stdout


def test_our_subcommands_do_not_shadow_lm_eval():
    assert not set(SUBCOMMANDS) & set(LM_EVAL_SUBCOMMANDS)


def test_python_dash_m_matches_console_script():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "codeeff", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "codeeff subcommands" in out.stdout


@pytest.mark.slow
def test_user_include_path_is_honoured_beside_ours(tmp_path):
    (tmp_path / "my_task.yaml").write_text(
        textwrap.dedent(
            """\
            task: my_private_task_xyz
            dataset_path: json
            dataset_kwargs:
              data_files: {test: unused.jsonl}
            test_split: test
            output_type: generate_until
            doc_to_text: "{{q}}"
            doc_to_target: "{{a}}"
            metric_list:
              - metric: exact_match
            """
        )
    )
    listed = run_codeeff("ls", "tasks", "--include_path", str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    assert "my_private_task_xyz" in listed.stdout


def test_include_path_from_a_run_config_yaml_is_kept(tmp_path):
    """`run --config` may carry include_path; ours is prepended to it rather than replacing it."""
    import argparse

    from codeeff.cli import _user_include_paths

    config = tmp_path / "cfg.yaml"
    config.write_text("include_path: [/a, /b]\n")
    assert _user_include_paths(argparse.Namespace(include_path=None, config=str(config))) == ["/a", "/b"]
    assert _user_include_paths(argparse.Namespace(include_path="/c", config=str(config))) == ["/c"]
    assert _user_include_paths(argparse.Namespace(include_path=None, config=None)) == []


@pytest.mark.slow
def test_unknown_task_is_one_clear_error_without_traceback(tiny_model_dir):
    out = run_codeeff(
        "run", "--model", "hf", "--model_args", f"pretrained={tiny_model_dir}", "--tasks", "no_such_task_q"
    )
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert "codeeff: error:" in out.stderr and "no_such_task_q" in out.stderr
