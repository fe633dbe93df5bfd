"""Sharded scoring merged back equals one scoring, and the merged results name the real source of the generations;
a scoring that fails leaves nothing in its output folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeeff.rescore.engine import rescore
from codeeff.rescore.replay import doc_hash
from codeeff.rescore.runs import merge_shards
from codeeff.rescore.saved import SavedGenerationsError
from codeeff.results_files import STAGING_PREFIX

TASK = "codexglue_line_py150"
PREDICTIONS = ["x = 1", "return self . name", "import os", "def f ( ) :"]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_merged_shards_equal_one_scoring_and_record_their_source(tmp_path, data_dir):
    metadata = {"data_dir": str(data_dir)}
    predictions = tmp_path / "preds.txt"
    predictions.write_text("\n".join(PREDICTIONS) + "\n")
    options = {"predictions": predictions, "metadata": metadata, "limit": len(PREDICTIONS)}
    whole = rescore(TASK, output=tmp_path / "whole", **options)
    shards = [rescore(TASK, output=tmp_path / f"s{i}", shard=(i, 2), **options) for i in (0, 1)]

    [merged] = merge_shards([tmp_path / "s0", tmp_path / "s1"], tmp_path / "merged")

    assert merged.results["results"][TASK] == whole.results["results"][TASK]
    assert merged.results["n-samples"][TASK]["effective"] == len(PREDICTIONS)
    block = json.loads(merged.results_path.read_text())["config"]["rescored"]
    assert block["from"] == str(predictions) and block["kind"] == "predictions"
    assert block["merged_shards"] == [str(s.results_path) for s in shards]
    assert block["shard"] is None
    for folder in ("whole", "s0", "s1", "merged"):
        assert not any(STAGING_PREFIX in name for name in _files(tmp_path / folder)), folder


def test_shards_of_different_files_are_not_merged(tmp_path, data_dir):
    metadata = {"data_dir": str(data_dir)}
    for i in (0, 1):  # same file name (so the same output folder name), different files
        predictions = tmp_path / f"copy{i}" / "preds.txt"
        predictions.parent.mkdir()
        predictions.write_text("\n".join(PREDICTIONS) + "\n")
        rescore(TASK, predictions=predictions, metadata=metadata, limit=2, shard=(i, 2), output=tmp_path / f"s{i}")
    with pytest.raises(SavedGenerationsError, match="shards scored from different files"):
        merge_shards([tmp_path / "s0", tmp_path / "s1"], tmp_path / "merged")


def test_a_failed_scoring_leaves_no_files(tmp_path, data_dir, monkeypatch):
    from codeeff.tasks.codexglue import line_task

    monkeypatch.setenv("CODEEFF_DATA_DIR", str(data_dir))
    first_doc = line_task.load(TASK, "python")["test"][0]
    samples = tmp_path / "samples.jsonl"
    record = {"doc_id": 0, "resps": [["x = 1"]], "doc_hash": doc_hash(first_doc), "prompt_hash": "1" * 64}
    samples.write_text(json.dumps(record) + "\n")
    with pytest.raises(SavedGenerationsError, match="saved prompt"):
        rescore(TASK, samples=samples, limit=1, output=tmp_path / "out")
    assert _files(tmp_path / "out") == []
