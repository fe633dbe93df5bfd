"""Calibration texts: ``calib=task:NAME`` resolves through the source ``import codeeff`` installs (the model layer
never imports tasks); without a source it fails with one clear error."""

from __future__ import annotations

import json

import pytest

import codeeff  # noqa: F401  (installs the task text source)
from codeeff.model_adapters import calib
from codeeff.model_adapters.calib import load_calibration_texts


def test_task_texts_are_the_tasks_prompts(data_dir, monkeypatch):
    monkeypatch.setenv("CODEEFF_DATA_DIR", str(data_dir))
    texts = load_calibration_texts("task:gtranseval_java2python", 2)
    assert len(texts) == 2
    assert all(t.startswith("Translate the following Java function into Python.") for t in texts)
    assert "```java\n" in texts[0] and texts[0] != texts[1]


def test_task_texts_without_a_source_fail_clearly(monkeypatch):
    monkeypatch.setattr(calib, "_task_text_source", None)
    with pytest.raises(ValueError, match="no task text source is installed"):
        load_calibration_texts("task:gtranseval_java2python", 2)


def test_file_texts(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"text": f"t{i}"}) + "\n" for i in range(5)))
    assert load_calibration_texts(str(path), 3) == ["t0", "t1", "t2"]
