"""Mode-semantic parity disagreements are re-run in mode paper, and the cause says what mode paper gives."""

from __future__ import annotations

from codeeff.tasks.gtranseval import parity
from codeeff.tasks.gtranseval.problems import load_problems


def test_a_semantic_disagreement_names_the_paper_rule_that_fails_it(data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("CODEEFF_CACHE_DIR", str(tmp_path))
    # py2js codet5-500 #365 returns a plain object: mode semantic takes it as a dict, the paper's serializer rejects it.
    problem = load_problems(data_dir)[365]
    code = parity.translations("codet5-500", data_dir, "py2js")[365]
    doc = {"target_lang": "javascript", "source_lang": "python", "task_name": "gtranseval_parity"}
    runs = parity._paper_mode_outcomes([(problem, code, doc)], ["codet5-500"], [{"passed": True}], data_dir, "py2js")
    run = runs[("codet5-500", 365)]
    assert not run["passed"] and "serializer rejects object" in run["failure"]
    cause = parity._with_paper_mode("semantic cause", run, "CompilationFailed")
    assert cause.startswith("semantic cause — mode paper fails it too (wrong_answer: test 0: got <the paper's")
    agreeing = parity._paper_mode_outcomes(
        [(problem, code, doc)], ["codet5-500"], [{"passed": False}], data_dir, "py2js"
    )
    assert agreeing == {}  # codeeff agrees with the paper there: nothing to re-run
    assert "disagrees too" in parity._with_paper_mode("c", {"passed": True, "status": "passed"}, "CompilationFailed")
