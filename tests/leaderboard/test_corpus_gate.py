"""The gate on corpus-level metrics: BLEU and chrF get sacrebleu's paired bootstrap over the logged items; CodeBLEU
(no sample-level interval) is reported but not gated, unless the rules file says otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from lb_factory import write_run
from sacrebleu.metrics import BLEU, CHRF

from codeeff.leaderboard import regress_cli

SIGS = {
    "bleu": "bleu|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0",
    "chrf": "chrf|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0",
}
REFS = [f"def f{i}(a, b):\n    return a + b * {i}" for i in range(60)]


def _run(tmp: Path, name: str, preds: list[str], codebleu: float) -> Path:
    corpus = {"bleu": BLEU().corpus_score(preds, [REFS]).score, "chrf": CHRF().corpus_score(preds, [REFS]).score,
              "codebleu": codebleu}  # fmt: skip
    exact = [float(p == r) for p, r in zip(preds, REFS, strict=True)]
    results = write_run(tmp / name, per_sample={"exact_match": exact}, corpus=corpus, signatures=SIGS)
    samples = next(results.parent.glob("samples_*.jsonl"))
    records = [json.loads(line) for line in samples.read_text().splitlines()]
    for record, ref, pred in zip(records, REFS, preds, strict=True):
        for metric in corpus:
            record[metric] = {"reference": ref, "prediction": pred, "language": "python"}
    samples.write_text("".join(json.dumps(r) + "\n" for r in records))
    return tmp / name


def _report(capsys, *args: str) -> tuple[int, dict]:
    code = regress_cli.main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_bleu_drop_with_interval_fails_and_codebleu_is_reported_only(tmp_path: Path, capsys):
    base = _run(tmp_path, "base", list(REFS), codebleu=0.80)
    worse = [r if i % 3 else "return None" for i, r in enumerate(REFS)]  # a third of the lines wrong
    cand = _run(tmp_path, "cand", worse, codebleu=0.70)
    code, report = _report(capsys, "--baseline", str(base), "--candidate", str(cand))
    metrics = {m["metric"]: m for m in report["tasks"][0]["metrics"]}
    bleu = metrics["bleu"]
    assert bleu["method"] == "corpus-paired-bootstrap" and bleu["paired_n"] == 60
    assert bleu["ci_high"] < -2.0 and bleu["verdict"] == "regression" and bleu["gated"]
    assert metrics["chrf"]["method"] == "corpus-paired-bootstrap"
    codebleu = metrics["codebleu"]
    assert codebleu["verdict"] == "regression" and not codebleu["gated"] and "not gated" in codebleu["note"]
    assert code == 1 and "codebleu" not in report["tasks"][0]["regressions"]


def test_small_bleu_change_inside_its_interval_passes(tmp_path: Path, capsys):
    base = _run(tmp_path, "base", list(REFS), codebleu=0.80)
    nearly = [r if i != 7 else "def f7(a, b):\n    return a - b * 7" for i, r in enumerate(REFS)]
    cand = _run(tmp_path, "cand", nearly, codebleu=0.78)
    code, report = _report(capsys, "--baseline", str(base), "--candidate", str(cand))
    metrics = {m["metric"]: m for m in report["tasks"][0]["metrics"]}
    assert metrics["bleu"]["method"] == "corpus-paired-bootstrap" and metrics["bleu"]["verdict"] in (
        "ok",
        "inconclusive",
    )
    assert code == 0, report


def test_rules_file_can_gate_codebleu_on_its_point_estimate(tmp_path: Path, capsys):
    base = _run(tmp_path, "base", list(REFS), codebleu=0.80)
    cand = _run(tmp_path, "cand", list(REFS), codebleu=0.70)
    assert _report(capsys, "--baseline", str(base), "--candidate", str(cand))[0] == 0
    rules = tmp_path / "rules.toml"
    rules.write_text('[metrics.codebleu]\nno_interval = "gate"\n')
    code, report = _report(capsys, "--baseline", str(base), "--candidate", str(cand), "--rules", str(rules))
    assert code == 1 and report["tasks"][0]["regressions"] == ["codebleu"]


def test_committed_scores_only_baseline_still_bootstraps_bleu(tmp_path: Path, capsys):
    from codeeff.leaderboard import cli

    base = _run(tmp_path, "base", list(REFS), codebleu=0.80)
    board = tmp_path / "board" / "ci.csv"
    assert cli.main([str(base), "-o", str(board), "--keep-samples"]) == 0
    kept = next((tmp_path / "board" / "ci.samples").glob("*.jsonl")).read_text()
    assert "def f1(a, b)" in kept and '"reference"' not in kept  # predictions kept, references (data) dropped
    capsys.readouterr()
    worse = [r if i % 3 else "return None" for i, r in enumerate(REFS)]
    cand = _run(tmp_path, "cand", worse, codebleu=0.70)
    code, report = _report(capsys, "--baseline", str(board), "--candidate", str(cand))
    bleu = {m["metric"]: m for m in report["tasks"][0]["metrics"]}["bleu"]
    assert bleu["method"] == "corpus-paired-bootstrap" and bleu["verdict"] == "regression" and code == 1
