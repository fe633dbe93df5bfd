"""Reference alignment: a model that outputs the true continuation scores perfectly on every metric, and
CodeXGLUE's own evaluator sample scores as CodeXGLUE's README says (edit similarity 43.8, EM 0.0)."""

from __future__ import annotations

import json

import pytest

from codeeff.formats import codexglue as cxg
from codeeff.formats.codexglue_rows import SourceConfig, load_token_files
from codeeff.metrics import lm_eval_glue, metrics
from codeeff.metrics.lm_eval_glue import corpus_item
from codeeff.rescore.engine import rescore
from codeeff.tasks.codexglue import context_task, line_task
from codeeff.tasks.codexglue.scoring import LINE_CORPUS_METRICS, metric_text

N_DOCS = 12


def _perfect(metric: str) -> float:
    """The best value of a metric, from the metrics registry (scale and direction); ``status`` is the ok fraction."""
    if metric == "status":
        return 1.0
    spec = metrics()[metric]
    if not spec.higher_is_better:
        return 0.0
    return 100.0 if spec.scale == "0-100" else 1.0


def _write_predictions(path, predictions):
    path.write_text("".join(json.dumps(p) + "\n" for p in predictions))
    return path


def _assert_perfect(scores: dict, task: str, ceiling: dict | None = None):
    reported = {k.split(",")[0]: v for k, v in scores.items() if "," in k and "_stderr" not in k}
    assert "codebleu" in reported and "exact_match_cxg" in reported and "status" in reported
    for metric, value in reported.items():
        if metric == "codebleu_dataflow" and value is None:
            continue  # degenerate dataflow (no variable flow in any reference) is reported as None, never 0 or 1
        best = (ceiling or {}).get(metric, _perfect(metric))
        assert value == pytest.approx(best), (task, metric, value)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "language", "fraction"),
    [("py150_ctx20", "python", 0.2), ("javacorpus_ctx50", "java", 0.5)],
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
    _assert_perfect(rescore(task, predictions=path, metadata=metadata, limit=N_DOCS).results["results"][task], task)


@pytest.mark.parametrize(("task", "language", "tail"), [("codexglue_line_py150", "python", "\nx = 1"),
                                                       ("codexglue_line_javacorpus", "java", " x = 1;")])  # fmt: skip
def test_true_line_scores_perfectly_on_line_tasks(tmp_path, data_dir, task, language, tail):
    metadata = {"data_dir": str(data_dir)}
    docs = line_task.load(task, language, **metadata)["test"].select(range(N_DOCS))
    predictions = [cxg.detokenize(doc["reference"], language) + tail for doc in docs]
    path = _write_predictions(tmp_path / "oracle.jsonl", predictions)
    # Some corpus metrics cannot reach their maximum on short lines even for identical text (CodeBLEU's n-gram parts
    # are smoothed NLTK BLEU, so lines under 4 tokens score < 1; ROUGE-L drops non-alphanumerics, so "= { }" scores 0):
    # there the ceiling is the references scored against themselves. Per-sample metrics must be perfect.
    items = [
        corpus_item(
            prediction=metric_text(d["reference"].split()),
            reference=metric_text(d["reference"].split()),
            language=language,
        )
        for d in docs
    ]
    ceiling = {name: getattr(lm_eval_glue, name)(items) for name in LINE_CORPUS_METRICS}
    scores = rescore(task, predictions=path, metadata=metadata, limit=N_DOCS).results["results"][task]
    _assert_perfect(scores, task, ceiling)


def test_codexglue_evaluator_sample_reproduces_the_readme(data_dir):
    """CodeXGLUE's README: `evaluator.py -a answers.json -p predictions.txt` prints `Edit sim: 43.8, EM: 0.0`."""
    evaluator = data_dir / "codexglue" / "CodeCompletion-line" / "evaluator"
    metadata = {"data_dir": str(data_dir), "cxg_source": "jsonl", "cxg_data_file": str(evaluator / "answers.json")}
    task = "codexglue_line_javacorpus"
    scores = rescore(task, predictions=evaluator / "predictions.txt", metadata=metadata).results["results"][task]
    assert round(scores["edit_similarity,none"], 1) == 43.8
    assert scores["exact_match_cxg,none"] == 0.0
    assert line_task.load(task, "java", **metadata)["test"][0]["line_rule"] == "java_cxg"


def test_leading_newline_after_a_line_end_adds_no_eol(tmp_path, data_dir):
    """A context ending with <EOL>: an answer that starts with the newline again (blank lines collapse in PY150) is
    still the true continuation; the prompt ends with the next line's indentation, as an editor places the cursor."""
    from codeeff.tasks.codexglue import text

    task, metadata = "py150_ctx20", {"data_dir": str(data_dir)}
    docs = context_task.load(task, "python", 0.2, **metadata)["test"]
    files, _ = load_token_files(SourceConfig.from_metadata(metadata), "python")
    chosen = [d for d in docs if text.ends_line(d["context"])][:N_DOCS]
    assert len(chosen) == N_DOCS
    predictions = []
    for doc in chosen:
        start = doc["split_at"]
        predictions.append("\n" + cxg.detokenize(" ".join(files[doc["id"]][start : start + 40]), "python"))
        prompt = text.doc_to_text(doc)
        assert prompt.startswith(cxg.detokenize(doc["context"], "python")) and not prompt.strip(" ").endswith("\n\n")
    produced = [text.response_tokens(p, "python", "code", True)[:15] for p in predictions]
    assert produced == [d["reference"].split() for d in chosen]
    # without the context's line end, the same leading newline is the reference's first token
    assert text.response_tokens("\nx = 1", "python", "code", False)[:1] == ["<EOL>"]
    assert text.response_tokens("<EOL> x", "python", "tokens", True) == ["x"]


def test_line_prompt_after_a_line_end_ends_with_the_next_lines_indentation(data_dir):
    from codeeff.tasks.codexglue import text

    docs = line_task.load("codexglue_line_py150", "python", data_dir=str(data_dir))["test"]
    chosen = [d for d in docs if text.ends_line(d["context"])]
    assert len(chosen) == 1025  # of 3819: the documents whose answer a stop at "\n" used to empty
    indented = 0
    for doc in chosen[:200]:
        prompt = text.doc_to_text(doc)
        base = cxg.detokenize(doc["context"], "python")
        indent = prompt[len(base) :]
        assert prompt.startswith(base) and set(indent) <= {" "} and len(indent) % 4 == 0
        full = cxg.detokenize(f"{doc['context']} {doc['reference']}", "python")
        assert full.startswith(prompt)  # the indentation is the layout's own for that line
        indented += bool(indent)
    assert indented > 100


def test_blank_and_comment_lines_before_the_line_are_skipped(data_dir):
    """No stop at "\\n": after a context that ends a line, what a model writes before the first code line (blank
    lines, comments) cannot empty the answer; after a mid-line context a leading newline still ends the line."""
    from codeeff.tasks.codexglue import text

    docs = line_task.load("codexglue_line_py150", "python", data_dir=str(data_dir))["test"]
    at_line_start = next(d for d in docs if text.ends_line(d["context"]))
    mid_line = next(d for d in docs if not text.ends_line(d["context"]))
    answer = "\n\n# the next line\n" + cxg.detokenize(at_line_start["reference"], "python") + "\nx = 1\n"
    line, status = line_task.predicted_line(answer, at_line_start)
    assert " ".join(line) == at_line_start["reference"] and status == "ok"
    assert line_task.predicted_line("\nx = 1", mid_line)[0] == []
