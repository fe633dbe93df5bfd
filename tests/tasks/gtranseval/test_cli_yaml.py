"""`codeeff gtranseval check|parity` on real data, and the committed task YAMLs (generated, indexable by lm-eval)."""

from __future__ import annotations

import json

from codeeff.tasks.gtranseval import cli, generate_yaml


def test_gold_check_and_parity_json(data_dir, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CODEEFF_CACHE_DIR", str(tmp_path))
    assert cli.main(["check", "--tgt", "py", "--limit", "6", "--json", "--data-dir", str(data_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] == report["total"] == 6 and report["failures"] == []
    assert cli.main(["parity", "--models", "codet5-100", "--limit", "12", "--json", "--data-dir", str(data_dir)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    # codeeff agrees with the paper on every one of these 12 verdicts (and on all 2,800 of the full parity run).
    assert row["model"] == "codet5-100" and row["total"] == 12
    assert row["agree"] == 12 and row["disagreements"] == []
    assert row["direction"] == "java2py" and row["mode"] == "semantic"


def test_parity_other_directions_and_modes(data_dir, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CODEEFF_CACHE_DIR", str(tmp_path))
    args = ["parity", "--direction", "java2js", "--models", "codet5-full", "--limit", "10", "--json"]
    assert cli.main([*args, "--mode", "paper", "--data-dir", str(data_dir)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["direction"] == "java2js" and row["mode"] == "paper" and row["total"] == 10
    assert row["agree"] == 10, row["disagreements"]
    assert cli.main(["parity", "--direction", "py2xx", "--data-dir", str(data_dir)]) == 2
    assert "unknown direction 'py2xx'" in capsys.readouterr().err


def test_equivalence_mode_is_validated_and_signed(monkeypatch):
    import pytest

    from codeeff.tasks.gtranseval import verdict

    monkeypatch.setenv(verdict.MODE_ENV, "paper")
    assert verdict.equivalence_mode() == "paper" and "mode:paper" in verdict.ca_signature("paper")
    monkeypatch.setenv(verdict.MODE_ENV, "lenient")
    with pytest.raises(ValueError, match="not an equivalence mode"):
        verdict.equivalence_mode()


def test_committed_yamls_are_the_generator_output_and_index(tmp_path):
    generated = generate_yaml.files()
    on_disk = {p.name: p.read_text() for p in generate_yaml.YAML_DIR.iterdir()}
    assert on_disk == generated
    executed_directions = 4 * len(generate_yaml.EXECUTED_TARGETS)  # each has a _pass10 task
    assert len([n for n in generated if n.endswith(".yaml")]) == 20 * 6 + executed_directions

    from lm_eval.tasks import TaskManager

    from codeeff.tasks import tasks_dir

    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False)
    names = set(manager.all_tasks)
    for direction in ("java2python", "python2java", "cpp2javascript", "javascript2csharp"):
        assert {f"gtranseval_{direction}", f"gtranseval_{direction}_type4", f"gtranseval_{direction}_all"} <= names
    assert "codeeff_translation" in names and "codeeff_suite" in names
    assert "gtranseval_java2python_pass10" in names
    assert ("gtranseval_javascript2csharp_pass10" in names) == ("csharp" in generate_yaml.EXECUTED_TARGETS)
