"""Paired-bootstrap intervals on the quality ratios of ``codeeff bench train`` (codeeff.bench.quality_intervals)."""

from __future__ import annotations

import json

import pytest

from codeeff.bench import quality_intervals as qi
from codeeff.metrics import lm_eval_glue

REFERENCES = [
    "def add ( a , b ) :\n return a + b",
    "for i in range ( 10 ) :\n print ( i )",
    "import os\npath = os . path . join ( root , name )",
    "class Node :\n def __init__ ( self , value ) :",
    "if x is None :\n raise ValueError ( msg )",
    "with open ( path ) as fh :\n data = fh . read ( )",
    "result = [ f ( x ) for x in items if x ]",
    "self . assertEqual ( value , expected )",
] * 3


def _write(path, predictions, doc_ids=None):
    with open(path, "w") as fh:
        pairs = zip(REFERENCES, predictions, strict=True)
        for doc_id, (reference, prediction) in zip(doc_ids or range(len(predictions)), pairs, strict=True):
            item = {"reference": reference, "prediction": prediction, "language": "python"}
            fh.write(json.dumps({"doc_id": doc_id, "metrics": ["rougeL", "codebleu"], "rougeL": item,
                                 "codebleu": item}) + "\n")  # fmt: skip
    return path


def _worse(references):  # every other document answered with unrelated code
    return [ref if i % 2 == 0 else "x = 1" for i, ref in enumerate(references)]


def test_scores_recomputed_from_the_samples_equal_the_task_aggregations(tmp_path):
    predictions = _worse(REFERENCES)
    scores = qi.read_scores(_write(tmp_path / "s.jsonl", predictions))
    items = [
        {"reference": r, "prediction": p, "language": "python"} for r, p in zip(REFERENCES, predictions, strict=True)
    ]
    assert scores.value("rougeL") == pytest.approx(lm_eval_glue.rougeL(items), abs=1e-12)
    assert scores.value("codebleu") == pytest.approx(lm_eval_glue.codebleu(items), abs=1e-12)
    qi.check_reported(scores, {"rougeL": lm_eval_glue.rougeL(items), "codebleu": lm_eval_glue.codebleu(items)}, "r")
    with pytest.raises(qi.IntervalError, match="codebleu recomputed"):
        qi.check_reported(scores, {"rougeL": scores.value("rougeL"), "codebleu": 0.5}, "r")


def test_the_interval_brackets_the_ratio_and_is_reproducible(tmp_path):
    base = qi.read_scores(_write(tmp_path / "base.jsonl", REFERENCES))
    run = qi.read_scores(_write(tmp_path / "run.jsonl", _worse(REFERENCES)))

    def intervals(one, other):
        return qi.ratio_intervals(qi.resample(one, resamples=1000), {"dense": qi.resample(other, resamples=1000)})

    first = intervals(run, base)
    assert first == intervals(run, base)  # fixed seed: a gate cannot flake
    for metric in qi.METRICS:
        low, high = first[f"{metric}_dense"]
        point = run.value(metric) / base.value(metric)
        assert low < point < high <= 1.0, (metric, low, point, high)
    assert intervals(base, base)["rougeL_dense"] == [1.0, 1.0]
    with pytest.raises(qi.IntervalError, match="resampled differently"):
        qi.ratio_intervals(qi.resample(run, resamples=1000), {"dense": qi.resample(base, resamples=1001)})


def test_runs_on_different_documents_or_without_items_give_no_interval(tmp_path):
    base = qi.read_scores(_write(tmp_path / "base.jsonl", REFERENCES))
    shifted = qi.read_scores(_write(tmp_path / "run.jsonl", REFERENCES, doc_ids=range(1, len(REFERENCES) + 1)))
    with pytest.raises(qi.IntervalError, match="different documents"):
        qi.ratio_intervals(qi.resample(shifted, resamples=1000), {"dense": qi.resample(base, resamples=1000)})
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({"doc_id": 0, "metrics": ["rougeL"], "rougeL": 0.5}) + "\n")
    with pytest.raises(qi.IntervalError, match="no logged rougeL/codebleu item"):
        qi.read_scores(bare)


@pytest.mark.parametrize(
    ("flops", "intervals", "verdict"),
    [
        (0.79, [[0.91, 0.99], [0.90, 0.97]], "met"),
        (0.79, [[0.85, 0.95], [0.91, 0.99]], "inconclusive"),
        (0.79, [[0.80, 0.89], [0.91, 0.99]], "not met"),
        (0.81, [[0.95, 0.99], [0.95, 0.99]], "not met"),
        (0.79, [None, [0.95, 0.99]], "inconclusive"),
    ],
)
def test_the_verdict_reads_the_whole_interval(flops, intervals, verdict):
    assert qi.target_verdict(flops, intervals, 0.80, 0.90) == verdict


def test_the_pareto_plot_draws_runs_with_and_without_intervals(tmp_path):
    from codeeff.bench.train_plot import plot

    def run(flops, rouge, codebleu, interval=None):
        out = {"flops_per_gen_token_ratio": flops, "rougeL_ratio": rouge, "codebleu_ratio": codebleu}
        if interval:
            out.update(rougeL_ratio_interval=interval, codebleu_ratio_interval=interval)
        return out

    runs = {"dense": run(1.0, 1.0, 1.0, [1.0, 1.0]), "classifier T=0.9": run(0.79, 0.9, 0.88, [0.84, 0.96]),
            "classifier T=0.8": run(0.75, 0.82, None), "RL policy T=0.9": run(0.78, 0.85, 0.9)}  # fmt: skip
    report = {"limit": 200, "exits": {"runs": runs, "oracle_point": {"flops_ratio": 0.71}}}
    path = plot(report, tmp_path / "pareto.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
