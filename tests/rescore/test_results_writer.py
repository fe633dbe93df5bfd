"""The one results writer: lm-eval's layout, files appear whole in the output folder, no staging left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeeff.results_files import STAGING_PREFIX, ResultsWriter

SAMPLE = {"doc_id": 0, "doc_hash": "d", "prompt_hash": "p", "target_hash": "t", "resps": [["x"]], "filter": "none",
          "arguments": [["prompt"]], "filtered_resps": ["x"], "target": "x"}  # fmt: skip


def _results() -> dict:
    return {"results": {"toy": {"acc,none": 0.5}}, "configs": {"toy": {}}, "versions": {"toy": 1}}


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_folder_gets_lm_evals_layout_and_the_codeeff_block(tmp_path):
    writer = ResultsWriter.into(tmp_path / "out")
    writer.tracker.general_config_tracker.model_name_sanitized = "my-model"
    results_path, samples_paths = writer.write(_results(), {"toy": [dict(SAMPLE)]})
    assert results_path.parent == tmp_path / "out" / "my-model" and results_path.name.startswith("results_")
    assert [p.name.startswith("samples_toy_") for p in samples_paths] == [True]
    assert _tree(tmp_path / "out") == sorted(
        str(p.relative_to(tmp_path / "out")) for p in [results_path, *samples_paths]
    )
    written = json.loads(results_path.read_text())
    assert written["results"]["toy"]["acc,none"] == 0.5 and "codeeff" in written
    assert json.loads(samples_paths[0].read_text().splitlines()[0])["doc_id"] == 0


def test_a_json_output_path_names_the_results_file_as_lm_eval_does(tmp_path):
    writer = ResultsWriter.into(tmp_path / "out" / "run.json")
    results_path, samples_paths = writer.write(_results(), None)
    assert results_path.parent == tmp_path / "out" and results_path.name.startswith("run_")
    assert samples_paths == [] and _tree(tmp_path / "out") == [results_path.name]


def test_samples_lm_eval_could_not_write_are_an_error_and_leave_nothing(tmp_path):
    writer = ResultsWriter.into(tmp_path / "out")
    broken = {k: v for k, v in SAMPLE.items() if k != "arguments"}
    with pytest.raises(OSError, match="wrote 0 of the 2 samples of toy"):
        writer.write(_results(), {"toy": [broken, dict(broken)]})
    assert list((tmp_path / "out").iterdir()) == []


def test_discard_leaves_an_empty_output_folder(tmp_path):
    writer = ResultsWriter.into(tmp_path / "out")
    assert any(p.name.startswith(STAGING_PREFIX) for p in (tmp_path / "out").iterdir())
    writer.discard()
    assert list((tmp_path / "out").iterdir()) == []
