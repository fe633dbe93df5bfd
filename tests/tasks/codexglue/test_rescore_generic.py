"""`codeeff score` is generic: it scores another engineer's code-executing G-TransEval task (sandboxed) too."""

from __future__ import annotations

import json

from codeeff.tasks.rescoring import rescore

TASK = "gtranseval_java2python_type1"


def test_gold_translations_of_a_gtranseval_task_pass(tmp_path, data_dir):
    from lm_eval.tasks import TaskManager

    from codeeff.tasks import tasks_dir

    metadata = {"data_dir": str(data_dir)}
    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False, metadata=metadata)
    task = next(iter(manager.load([TASK])["tasks"].values()))
    gold = [task.doc_to_target(doc) for doc in list(task.eval_docs)[:2]]
    predictions = tmp_path / "gold.jsonl"
    predictions.write_text("".join(json.dumps(code) + "\n" for code in gold))

    outcome = rescore(TASK, predictions=predictions, metadata=metadata, output=tmp_path / "out", limit=2,
                      confirm_run_unsafe_code=True)  # fmt: skip
    scores = outcome.results["results"][TASK]
    assert scores["ca,none"] == 1.0 and scores["exec_status_passed,none"] == 1.0
    assert outcome.results_path.parent.name == "gold"  # named after the predictions file
    written = json.loads(outcome.results_path.read_text())
    assert written["results"][TASK]["ca,none"] == 1.0 and written["n-samples"][TASK]["effective"] == 2
    assert "codeeff" in written and written["config"]["rescored"]["kind"] == "predictions"
