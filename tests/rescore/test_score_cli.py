"""`codeeff score` on bad input: one clear error naming the file and the problem (run in-process through the CLI)."""

from __future__ import annotations

import json

import pytest

from codeeff.cli import main
from codeeff.rescore.replay import doc_hash
from codeeff.tasks.codexglue import line_task

TASK = "codexglue_line_py150"


def _score(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["score", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def first_doc(data_dir, monkeypatch):
    monkeypatch.setenv("CODEEFF_DATA_DIR", str(data_dir))
    return line_task.load(TASK, "python")["test"][0]


def _sample(doc_id: int, doc_hash: str, prompt_hash: str = "", response: str = "x = 1") -> dict:
    return {"doc_id": doc_id, "resps": [[response]], "doc_hash": doc_hash, "prompt_hash": prompt_hash}


def test_malformed_samples_line_is_named(tmp_path, capsys, first_doc):
    path = tmp_path / "samples.jsonl"
    path.write_text(json.dumps(_sample(0, doc_hash(first_doc))) + "\n{broken\n")
    code, _, err = _score(capsys, "--task", TASK, "--samples", str(path))
    assert code != 0 and f"{path}:2: not valid JSON" in err and "Traceback" not in err


def test_record_without_resps_is_named(tmp_path, capsys, first_doc):
    path = tmp_path / "samples.jsonl"
    path.write_text(json.dumps({"doc_id": 0}) + "\n")
    code, _, err = _score(capsys, "--task", TASK, "--samples", str(path))
    assert code != 0 and f"{path}:1: not an lm-eval sample record" in err


def test_unknown_task_suggests_the_close_one(tmp_path, capsys, first_doc):
    path = tmp_path / "p.txt"
    path.write_text("x\n")
    code, _, err = _score(capsys, "--task", "codexglue_line_py15", "--predictions", str(path))
    assert code != 0 and "unknown task 'codexglue_line_py15'" in err and "codexglue_line_py150" in err


def test_samples_of_other_data_are_refused(tmp_path, capsys, first_doc):
    path = tmp_path / "samples.jsonl"
    path.write_text(json.dumps(_sample(0, "0" * 64)) + "\n")
    code, _, err = _score(capsys, "--task", TASK, "--samples", str(path), "--limit", "1")
    assert code != 0 and "doc_id 0: the rebuilt task's document differs" in err


@pytest.mark.slow
def test_changed_prompt_is_refused_unless_allowed(tmp_path, capsys, first_doc):
    path = tmp_path / "samples.jsonl"
    path.write_text(json.dumps(_sample(0, doc_hash(first_doc), prompt_hash="1" * 64)) + "\n")
    code, _, err = _score(capsys, "--task", TASK, "--samples", str(path), "--limit", "1")
    assert code != 0 and "saved prompt(s) differ" in err and "--allow-prompt-mismatch" in err
    code, out, err = _score(capsys, "--task", TASK, "--samples", str(path), "--allow-prompt-mismatch", "--limit", "1")
    assert code == 0 and "exact_match_cxg" in out and "saved prompt(s) differ" in err


def test_doc_ids_beyond_the_task_are_refused(tmp_path, capsys, first_doc):
    path = tmp_path / "samples.jsonl"
    path.write_text(json.dumps(_sample(10**6, doc_hash(first_doc))) + "\n")
    code, _, err = _score(capsys, "--task", TASK, "--samples", str(path))
    assert code != 0 and "outside the task's 3819 documents" in err


def test_samples_and_predictions_are_exclusive(tmp_path, capsys):
    code, _, err = _score(capsys, "--task", TASK, "--samples", "a", "--predictions", "b")
    assert code == 2 and "not allowed with argument" in err


@pytest.mark.slow
def test_predictions_that_do_not_cover_the_task_are_refused_unless_limited(tmp_path, capsys, first_doc):
    path = tmp_path / "p.txt"
    path.write_text("x = 1\ny = 2\n")
    code, _, err = _score(capsys, "--task", TASK, "--predictions", str(path))
    assert code != 0 and "covers 2 of the 3819 requested documents" in err and "--limit" in err
    code, _, err = _score(capsys, "--task", TASK, "--predictions", str(path), "--limit", "3")
    assert code != 0 and "covers 2 of the 3 requested documents" in err and "[2]" in err
    code, out, _ = _score(capsys, "--task", TASK, "--predictions", str(path), "--limit", "2")
    assert code == 0 and "exact_match_cxg" in out
    code, _, err = _score(capsys, "--task", TASK, "--predictions", str(path), "--shard", "2/2")
    assert code != 0 and "--shard" in err
