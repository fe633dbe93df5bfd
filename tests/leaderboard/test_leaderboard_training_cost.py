"""What a variant cost to make in the leaderboard: train_wall_s / train_tokens from the efficiency record's
``variant.training_cost``, empty (never 0) when nothing was trained, shown in the Markdown/HTML variants table only
when a row has it, read from CSVs written before the columns existed, and never judged by the regression gate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from lb_factory import efficiency_record, write_run

from codeeff.contracts.records import TRAINING_COST_COLUMNS
from codeeff.leaderboard import cli, regress_cli
from codeeff.leaderboard.rules import load_rules
from codeeff.leaderboard.table import read_csv
from codeeff.model_adapters.measure.training_cost import record_paths, training_cost

BASE_CA = [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1]
EE_CA = [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1]
TRAINED = "early_exit=classifier:exit_classifier.pt@b5faa55f:0.8, exit_layers=[2]"


def _training_record(path: Path, producer: str, wall_s: float, tokens: int, steps: int) -> Path:
    """A codeeff train record (``training.json``) as the producers write it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": "codeeff.training/1", "producer": producer, "data": {"heldout_from": 3469},
                                "cost": {"wall_s": wall_s, "tokens_seen": tokens, "steps": steps}}))  # fmt: skip
    return path


def _cost_of_adapters_and_classifier(tmp_path: Path) -> dict:
    """The record codeeff-hf writes for a classifier on exit adapters: both producers' costs, summed."""
    adapters = _training_record(tmp_path / "train" / "adapters" / "training.json", "exits", 1500.25, 10240, 40)
    classifier = _training_record(
        tmp_path / "train" / "clf" / "training.json", "exit-policy/classifier", 122.5, 1024, 0
    )
    return training_cost(record_paths(f"{adapters};{classifier}", None))


def _runs(tmp_path: Path, cost: dict | None) -> Path:
    runs = tmp_path / "runs"
    write_run(runs / "dense", per_sample={"ca": BASE_CA},
              efficiency=efficiency_record("aaaaaaaaaaaa", "baseline (no transform)"))  # fmt: skip
    write_run(runs / "trained", per_sample={"ca": EE_CA},
              efficiency=efficiency_record("cccccccccccc", TRAINED, training_cost=cost, flops_per_token=1.2e6),
              timestamp="2026-11-23T19-00-00.000000")  # fmt: skip
    return runs


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {row["spec_hash"]: row for row in csv.DictReader(fh)}


def test_a_trained_variant_shows_what_it_cost_to_make(tmp_path: Path):
    runs = _runs(tmp_path, _cost_of_adapters_and_classifier(tmp_path))
    out = tmp_path / "lb" / "board.csv"
    assert cli.main([str(runs), "-o", str(out), "--baseline", "dense", "--md", "--html"]) == 0
    rows = _rows(out)
    trained, dense = rows["cccccccccccc"], rows["aaaaaaaaaaaa"]
    assert float(trained["train_wall_s"]) == pytest.approx(1622.75) and trained["train_tokens"] == "11264"
    assert dense["train_wall_s"] == "" and dense["train_tokens"] == ""  # untrained: empty, not 0
    header = out.read_text().splitlines()[0].split(",")
    assert not [c for c in header if c.startswith("delta_train")]  # provenance, not a figure compared to a baseline

    markdown = out.with_suffix(".md").read_text()
    variants = markdown.split("## Variants", 1)[1].split("##", 1)[0]
    assert "| variant | model | spec | hash | train wall time | train tokens |" in variants
    assert "| cccccccccccc | 27.0 min | 11.26k |" in variants
    assert "| aaaaaaaaaaaa |  |  |" in variants
    assert "what making the variant cost" in variants
    page = out.with_suffix(".html").read_text()
    assert "<th>train wall time</th><th>train tokens</th>" in page
    assert "<td>cccccccccccc</td><td>27.0 min</td><td>11.26k</td>" in page


def test_without_training_cost_the_columns_are_empty_and_the_tables_leave_them_out(tmp_path: Path):
    runs = _runs(tmp_path, None)
    out = tmp_path / "board.csv"
    assert cli.main([str(runs), "-o", str(out), "--md", "--html"]) == 0
    for row in _rows(out).values():
        assert row["train_wall_s"] == "" and row["train_tokens"] == ""
    assert "train wall time" not in out.with_suffix(".md").read_text()
    assert "train wall time" not in out.with_suffix(".html").read_text()
    assert "| variant | model | spec | hash |" in out.with_suffix(".md").read_text()


@pytest.mark.parametrize(
    "cost",
    [
        {"wall_s": None, "tokens_seen": None, "steps": None, "parts": []},  # a part without a recorded cost
        {"wall_s": -3.0, "tokens_seen": "many"},
        {"wall_s": True, "tokens_seen": float("nan")},
        "1500 s",
    ],
)
def test_an_unknown_or_broken_cost_is_empty_not_zero(tmp_path: Path, cost):
    out = tmp_path / "board.csv"
    assert cli.main([str(_runs(tmp_path, cost)), "-o", str(out)]) == 0
    row = _rows(out)["cccccccccccc"]
    assert row["train_wall_s"] == "" and row["train_tokens"] == ""


def test_a_csv_written_before_the_columns_still_loads_and_updates(tmp_path: Path):
    runs = _runs(tmp_path, _cost_of_adapters_and_classifier(tmp_path))
    old = tmp_path / "old.csv"
    assert cli.main([str(runs / "dense"), "-o", str(old)]) == 0
    with open(old, newline="") as fh:  # the same CSV as an earlier codeeff wrote it: no cost-to-make columns
        reader = csv.DictReader(fh)
        kept = [c for c in reader.fieldnames or [] if c not in TRAINING_COST_COLUMNS]
        old_rows = list(reader)
    assert len(kept) < len(reader.fieldnames or [])
    with open(old, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=kept, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(old_rows)

    (row,) = read_csv(old)
    assert row["model"] == "tiny/llama" and row.get("train_wall_s") is None
    assert cli.main([str(runs / "trained"), "-o", str(old), "--baseline", "dense", "--md"]) == 0
    rows = _rows(old)
    assert rows["aaaaaaaaaaaa"]["train_wall_s"] == "" and rows["aaaaaaaaaaaa"]["delta_ca"] == "0"
    assert float(rows["cccccccccccc"]["train_wall_s"]) == pytest.approx(1622.75)


def test_the_regression_gate_ignores_training_cost(tmp_path: Path, capsys):
    """A candidate that cost 100x more to make is no regression: what a variant cost to make is not a run figure."""
    cheap = {"wall_s": 10.0, "tokens_seen": 100, "steps": 1, "parts": []}
    dear = {"wall_s": 1000.0, "tokens_seen": 10000, "steps": 100, "parts": []}
    write_run(tmp_path / "base", per_sample={"ca": BASE_CA},
              efficiency=efficiency_record("cccccccccccc", TRAINED, training_cost=cheap))  # fmt: skip
    write_run(tmp_path / "cand", per_sample={"ca": BASE_CA},
              efficiency=efficiency_record("cccccccccccc", TRAINED, training_cost=dear))  # fmt: skip
    capsys.readouterr()
    code = regress_cli.main(["--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["verdict"] == "no regression"
    judged = {m["metric"] for task in report["tasks"] for m in task["metrics"]}
    assert "ca" in judged and not judged & set(TRAINING_COST_COLUMNS)
    assert all(load_rules().for_metric(column) is None for column in TRAINING_COST_COLUMNS)


def test_no_local_path_reaches_the_variant_or_model_args_columns(tmp_path: Path):
    """Results written before summaries named files by content carry absolute paths; the row shows file names."""
    old_summary = "early_exit=classifier:/work/wt-x/artifacts/exit_classifier.pt:0.8, exit_layers=[2]"
    runs = tmp_path / "runs"
    path = write_run(
        runs / "old", per_sample={"ca": BASE_CA}, efficiency=efficiency_record("dddddddddddd", old_summary)
    )
    data = json.loads(path.read_text())
    data["config"]["model_args"] |= {"early_exit": "classifier:/work/wt-x/artifacts/exit_classifier.pt:0.8",
                                     "training": "/work/wt-x/a/training.json;/work/wt-x/b/training.json"}  # fmt: skip
    path.write_text(json.dumps(data))
    out = tmp_path / "board.csv"
    assert cli.main([str(runs), "-o", str(out), "--md"]) == 0
    row = _rows(out)["dddddddddddd"]
    assert row["variant"] == "early_exit=classifier:exit_classifier.pt:0.8, exit_layers=[2]"
    args = json.loads(row["model_args"])
    assert args["early_exit"] == "classifier:exit_classifier.pt:0.8"
    assert args["training"] == "training.json;training.json"
    assert "/work/" not in out.read_text() and "/work/" not in out.with_suffix(".md").read_text()
