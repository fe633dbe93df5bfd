"""Reference alignment: a model that outputs the true continuation scores perfectly on every metric, and
CodeXGLUE's own evaluator sample scores as CodeXGLUE's README says (edit similarity 43.8, EM 0.0)."""

from __future__ import annotations

import json

import pytest

from codeeff.metrics import codexglue_tokens as cxg
from codeeff.tasks.codexglue import context_task, line_task
from codeeff.tasks.codexglue.sources import SourceConfig, load_token_files
from codeeff.tasks.rescoring import rescore

N_DOCS = 12
# Best possible value of each metric (cost metrics are not emitted: the predictions carry no figures).
PERFECT = {
    "exact_match_cxg": 1.0,
    "edit_similarity": 100.0,
    "levenshtein_distance": 0.0,
    "token_accuracy": 1.0,
    "bleu": 100.0,
    "bleu_cxg": 100.0,
    "chrf": 100.0,
    "rougeL": 1.0,
    "codebleu": 1.0,
    "codebleu_syntax": 1.0,
    "codebleu_dataflow": 1.0,
    "status": 1.0,
}


def _write_predictions(path, predictions):
    path.write_text("".join(json.dumps(p) + "\n" for p in predictions))
    return path


def _assert_perfect(scores: dict, task: str):
    reported = {k.split(",")[0]: v for k, v in scores.items() if "_stderr" not in k and k not in ("alias", "name")}
    assert set(reported) <= set(PERFECT), set(reported) - set(PERFECT)
    for metric, value in reported.items():
        if metric == "codebleu_dataflow" and value is None:
            continue  # degenerate dataflow (no variable flow in any reference) is reported as None, never 0 or 1
        assert value == pytest.approx(PERFECT[metric]), (task, metric, value)


@pytest.mark.parametrize(
    ("task", "language", "fraction"),
    [("py150_ctx20", "python", 0.2), ("py150_ctx60", "python", 0.6), ("javacorpus_ctx30", "java", 0.3),
     ("javacorpus_ctx50", "java", 0.5)],
)  # fmt: skip
def test_true_continuation_scores_perfectly_on_context_tasks(tmp_path, data_dir, task, language, fraction):
    metadata = {"data_dir": str(data_dir)}
    docs = context_task.load(task, language, fraction, **metadata)["test"]
    files, _ = load_token_files(SourceConfig.from_metadata(metadata), language)
    predictions = []
    for doc in docs.select(range(N_DOCS)):
        start = doc["split_at"]
        # The oracle writes raw code and keeps going past the 15 reference tokens, as a real model would.
        predictions.append(cxg.detokenize(" ".join(files[doc["id"]][start : start + 40]), language))
        assert files[doc["id"]][start : start + 15] == doc["reference"].split()
    path = _write_predictions(tmp_path / "oracle.jsonl", predictions)
    _assert_perfect(rescore(task, predictions=path, metadata=metadata).results["results"][task], task)


@pytest.mark.parametrize(("task", "language", "tail"), [("codexglue_line_py150", "python", "\nx = 1"),
                                                       ("codexglue_line_javacorpus", "java", " x = 1;")])  # fmt: skip
def test_true_line_scores_perfectly_on_line_tasks(tmp_path, data_dir, task, language, tail):
    metadata = {"data_dir": str(data_dir)}
    docs = line_task.load(task, language, **metadata)["test"].select(range(N_DOCS))
    predictions = [cxg.detokenize(doc["reference"], language) + tail for doc in docs]
    path = _write_predictions(tmp_path / "oracle.jsonl", predictions)
    _assert_perfect(rescore(task, predictions=path, metadata=metadata).results["results"][task], task)


def test_codexglue_evaluator_sample_reproduces_the_readme(data_dir):
    """CodeXGLUE's README: `evaluator.py -a answers.json -p predictions.txt` prints `Edit sim: 43.8, EM: 0.0`."""
    evaluator = data_dir / "codexglue" / "CodeCompletion-line" / "evaluator"
    metadata = {"data_dir": str(data_dir), "cxg_source": "jsonl", "cxg_data_file": str(evaluator / "answers.json")}
    task = "codexglue_line_javacorpus"
    scores = rescore(task, predictions=evaluator / "predictions.txt", metadata=metadata).results["results"][task]
    assert round(scores["edit_similarity,none"], 1) == 43.8
    assert scores["exact_match_cxg,none"] == 0.0
    assert line_task.load(task, "java", **metadata)["test"][0]["line_rule"] == "java_cxg"
