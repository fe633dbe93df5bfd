"""What a variant cost to make: codeeff train records read back for the efficiency record."""

import json

import pytest

from codeeff.model_adapters.measure.training_cost import record_paths, training_cost


def _record(path, producer, wall, tokens, steps=0):
    path.write_text(json.dumps({"format": "codeeff.training/1", "producer": producer, "data": {"heldout_from": 3469},
                                "cost": {"wall_s": wall, "tokens_seen": tokens, "steps": steps}}))  # fmt: skip
    return path


def test_costs_of_several_records_add_up(tmp_path):
    a = _record(tmp_path / "a.json", "exits", 12.5, 8192)
    b = _record(tmp_path / "b.json", "exit-policy/classifier", 30.0, 4096, 0)
    cost = training_cost(record_paths(f"{a};{b}", None))
    assert cost["wall_s"] == 42.5 and cost["tokens_seen"] == 12288 and cost["steps"] == 0
    assert [p["producer"] for p in cost["parts"]] == ["exits", "exit-policy/classifier"]
    assert cost["parts"][0]["heldout_from"] == 3469


def test_record_beside_the_model_is_found_and_nothing_means_none(tmp_path):
    assert training_cost(record_paths(None, str(tmp_path))) is None
    _record(tmp_path / "training.json", "exits", 1.0, 10)
    assert training_cost(record_paths(None, str(tmp_path)))["tokens_seen"] == 10


def test_bad_records_are_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="file not found"):
        record_paths(str(tmp_path / "missing.json"), None)
    junk = tmp_path / "junk.json"
    junk.write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not a codeeff training record"):
        training_cost([junk])
