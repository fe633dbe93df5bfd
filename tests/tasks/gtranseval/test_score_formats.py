"""`codeeff score --predictions-format gte|transcoder` re-scores G-TransEval's published translations with the command
users run, and agrees with the paper's per-sample verdicts (Results/unit_test_results) on the first 40 problems."""

from __future__ import annotations

import json

import pytest

from codeeff.rescore.engine import rescore
from codeeff.rescore.saved import SavedGenerationsError, read_predictions

TASK = "gtranseval_java2python"
N = 40


def _paper_passes(data_dir, model: str) -> list[bool]:
    results = data_dir / "gtranseval" / "G-TransEval" / "Results" / "unit_test_results" / model / "l1_java2py.json"
    verdicts = json.loads(results.read_text())["python"]["results"]
    return [v == "AllPassed" for v in list(verdicts.values())[:N]]


def _published(data_dir, model: str):
    return (
        data_dir / "gtranseval" / "G-TransEval" / "Results" / "translation_results" / f"{model}-results" / "java2py.txt"
    )


@pytest.mark.parametrize(("model", "fmt"), [("codet5-full", "gte"), ("transcoder", "transcoder")])
def test_published_translations_score_as_in_the_paper(data_dir, tmp_path, monkeypatch, model, fmt):
    monkeypatch.setenv("CODEEFF_CACHE_DIR", str(tmp_path))
    path = _published(data_dir, model)
    outcome = rescore(TASK, predictions=path, predictions_format=fmt, limit=N, confirm_run_unsafe_code=True,
                      metadata={"data_dir": str(data_dir)}, output=tmp_path / "out")  # fmt: skip
    ca = outcome.results["results"][TASK]["ca,none"]
    paper = _paper_passes(data_dir, model)
    assert abs(ca * N - sum(paper)) <= 1, (model, ca * N, sum(paper))
    assert outcome.results["config"]["rescored"]["predictions_format"] == fmt
    if fmt == "gte":  # the same lines read as raw code are token soup that never runs
        raw = rescore(TASK, predictions=path, limit=5, confirm_run_unsafe_code=True,
                      metadata={"data_dir": str(data_dir)})  # fmt: skip
        assert raw.results["results"][TASK]["ca,none"] == 0.0


def test_transcoder_files_split_at_their_delimiter(tmp_path, data_dir):
    docs = read_predictions(_published(data_dir, "transcoder"), "transcoder")
    assert len(docs) == 400 and docs[0].responses[0][0].startswith("def greatestCommonDivisor ( a , b ) :\n")
    cut = tmp_path / "cut.txt"
    cut.write_text("def f():\n    return 1\n***Example ends here:\ndef g(")
    with pytest.raises(SavedGenerationsError, match="text after the last"):
        read_predictions(cut, "transcoder")
