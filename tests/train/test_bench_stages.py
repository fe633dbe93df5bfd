"""A LITE model trained in stages: its records chain through the base models, the bench counts every stage's cost,
and what learns on the model afterwards (policies, adapters) takes rows no stage saw."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from codeeff.bench.train import _given_exits, _rows_unseen
from codeeff.train.cli import build_parser
from codeeff.train.common import Record, record_chain


def _stage(base: Path, out: Path, exits: str = "14,17", mode: str = "full") -> Path:
    """A finished ``codeeff train exits`` folder trained from ``base``: its record and its model (a copy)."""
    argv = ["exits", "--model", str(base), "--out", str(out), "--exits", exits, "--mode", mode]
    record = Record("exits", vars(build_parser(argv).parse_args(argv)))
    shutil.copytree(base, out / "model")
    record.results["outputs"] = {"model": str(out / "model")}
    record.results["table"] = ""
    record.cost = {"wall_s": 10.0, "tokens_seen": 100}
    return record.write(out)


def test_the_chain_follows_each_stage_back_to_a_model_no_record_made(tiny6, tmp_path):
    first = _stage(tiny6, tmp_path / "s1")
    second = _stage(tmp_path / "s1" / "model", tmp_path / "s2")
    assert [path for path, _ in record_chain(second)] == [second.resolve(), first.resolve()]
    assert [path for path, _ in record_chain(first)] == [first.resolve()]  # tiny6's folder has no record beside it


def test_a_base_model_changed_after_the_next_stage_breaks_the_chain_loudly(tiny6, tmp_path):
    _stage(tiny6, tmp_path / "s1")
    second = _stage(tmp_path / "s1" / "model", tmp_path / "s2")
    (tmp_path / "s1" / "model" / "config.json").write_text(
        (tmp_path / "s1" / "model" / "config.json").read_text().replace("}", ', "x": 1}', 1)
    )
    with pytest.raises(ValueError, match="weights changed since"):
        record_chain(second)


def _bench_args(**kw) -> argparse.Namespace:
    return argparse.Namespace(**{"train_rows": 400, "exits": "14,17", "exits_from": None, **kw})


def test_the_bench_takes_every_stage_of_a_given_model(tiny6, tmp_path):
    _stage(tiny6, tmp_path / "s1")
    _stage(tmp_path / "s1" / "model", tmp_path / "s2")
    model, steps = _given_exits(_bench_args(exits_from=str(tmp_path / "s2")))
    assert model == tmp_path / "s2" / "model"
    assert [Path(step["record"]).parent.name for step in steps] == ["s1", "s2"]  # oldest first
    assert all(step["command"] == "(given)" for step in steps)
    with pytest.raises(ValueError, match="trained exits 14,17"):
        _given_exits(_bench_args(exits_from=str(tmp_path / "s2"), exits="14,17,20"))
    _stage(tiny6, tmp_path / "ad", mode="adapters")
    with pytest.raises(ValueError, match="not a LITE fine-tuning"):
        _given_exits(_bench_args(exits_from=str(tmp_path / "ad")))
    with pytest.raises(ValueError, match="does not exist"):
        _given_exits(_bench_args(exits_from=str(tmp_path)))


def _seen(val_start: int, train_end: int, mode: str = "full") -> dict:
    return {"args": {"mode": mode}, "data": {"rows_in_file": 3819, "val_rows": [val_start, val_start + 50],
                                             "train_rows": [val_start + 50, train_end]}}  # fmt: skip


def test_policies_learn_on_rows_no_stage_saw():
    args = _bench_args()
    assert _rows_unseen(args, []) == []
    assert _rows_unseen(args, [_seen(3369, 3819, mode="adapters")]) == []  # the backbone did not change
    # one stage at the file's end: the 450 rows just before it
    assert _rows_unseen(args, [_seen(3369, 3819)]) == ["--skip-last-rows", "450", "--val-rows", "50"]
    # a second stage further up leaves the same gap free
    assert _rows_unseen(args, [_seen(3369, 3819), _seen(2269, 2919)])[:2] == ["--skip-last-rows", "450"]
    # a second stage right before the first: the rows before both
    assert _rows_unseen(args, [_seen(3369, 3819), _seen(2919, 3369)])[:2] == ["--skip-last-rows", "900"]
    with pytest.raises(ValueError, match="outside the fine-tuning's rows"):
        _rows_unseen(_bench_args(train_rows=3400), [_seen(3369, 3819)])


def _figures(flops_ratio: float, quality: float) -> dict:
    """A finished run's figures: 100 generated tokens after 1,000 prefill FLOPs, at ``flops_ratio`` of the dense
    run's 10 FLOPs per generated token, with ROUGE-L and CodeBLEU at ``quality`` of dense."""
    return {"flops_total": 1000 + 1000 * flops_ratio, "gen_tokens": 100, "rougeL": 0.5 * quality,
            "codebleu": 0.4 * quality, "decode_s": 1.0, "max_doc_id": 250, "command": "codeeff run"}  # fmt: skip


def test_the_threshold_is_chosen_on_other_documents_as_the_cheapest_that_meets_the_target(monkeypatch, tmp_path):
    from codeeff.bench import train_runs

    asked: dict = {}
    figures = {"0.9": _figures(0.78, 0.85), "0.92": _figures(0.79, 0.91), "0.94": _figures(0.81, 0.95)}

    def run_all(jobs, limit, reuse, parallel):
        asked.update(jobs=jobs, limit=limit)
        runs = {"dense": _figures(1.0, 1.0), "prefill": {**_figures(0.0, 1.0), "gen_tokens": 0}}
        named = {name: dict(figures[name]) for name in jobs if name.startswith("vocab")}
        return {**runs, **{f"classifier T={t}": dict(f) for t, f in figures.items()}, **named}

    monkeypatch.setattr(train_runs, "run_all", run_all)
    # these figures have no samples to resample; the rule reads the point estimates (intervals: test_quality_intervals)
    monkeypatch.setattr(train_runs, "add_intervals", lambda runs: None)
    args = argparse.Namespace(limit=200, select_docs=50, select_thresholds=None, thresholds="0.9;0.92;0.94",
                              jobs=2, artifacts=None)  # fmt: skip

    def classifier_job(t, folder):
        return tmp_path, f"spec_{t}", tmp_path / f"{folder}_{t}", []

    chosen = train_runs.select_threshold(args, tmp_path, tmp_path, tmp_path, [], classifier_job)
    assert chosen["chosen"] == "0.92" and chosen["doc_indices"] == [200, 249]
    assert asked["limit"] is None
    for _, _, out, extra in asked["jobs"].values():  # every run names the 50 documents after the evaluated ones
        assert out.name.startswith("select_")
        assert json.loads(extra[extra.index("--samples") + 1]) == {"py150_ctx30": list(range(200, 250))}
    figures["0.92"] = _figures(0.79, 0.89)
    assert train_runs.select_threshold(args, tmp_path, tmp_path, tmp_path, [], classifier_job)["chosen"] is None

    # other policies run on the same documents, are reported, and are never what the rule chooses
    figures["vocab confidence T=0.7"] = _figures(0.70, 0.99)
    also = {"vocab confidence T=0.7": (tmp_path, "spec_v", tmp_path / "select_vocab_0.7", [])}
    chosen = train_runs.select_threshold(args, tmp_path, tmp_path, tmp_path, [], classifier_job, also)
    assert chosen["chosen"] is None and chosen["runs"]["vocab confidence T=0.7"]["meets_target"]
    extra = asked["jobs"]["vocab confidence T=0.7"][3]
    assert json.loads(extra[extra.index("--samples") + 1]) == {"py150_ctx30": list(range(200, 250))}
