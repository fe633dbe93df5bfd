"""codeeff regress on synthetic runs: clear regression, clear non-regression, noise inside the CI, mismatches,
missing samples (aggregate fallback), rules files, CSV baselines and the JSON report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lb_factory import efficiency_record, write_run

from codeeff.leaderboard import cli, regress_cli
from codeeff.leaderboard.rules import RulesError, load_rules

N = 200
GOOD = [1.0] * 150 + [0.0] * 50  # CA 0.75
BAD = [1.0] * 100 + [0.0] * 100  # CA 0.50: the same docs, 50 flipped to fail
# 0.75 -> 0.72 with many discordant pairs: the point estimate is beyond the 0.02 tolerance, the CI is not
NOISY = [1.0] * 120 + [0.0] * 30 + [1.0] * 24 + [0.0] * 26


def _run(tmp: Path, name: str, ca: list[float], **kw) -> Path:
    write_run(tmp / name, per_sample={"ca": ca}, **kw)
    return tmp / name


def _regress(capsys, *args: str) -> tuple[int, str]:
    """Exit code and printed text (stdout, then stderr; with --json stdout is exactly the JSON document)."""
    capsys.readouterr()
    code = regress_cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _json(capsys, *args: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = regress_cli.main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_clear_regression(tmp_path: Path, capsys):
    base, cand = _run(tmp_path, "base", GOOD), _run(tmp_path, "cand", BAD)
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(cand))
    assert code == 1
    assert "REGRESSION" in out and "paired-bootstrap" in out and "VERDICT: REGRESSION" in out


def test_clear_non_regression(tmp_path: Path, capsys):
    base, cand = _run(tmp_path, "base", GOOD), _run(tmp_path, "cand", GOOD[::-1][::-1])
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(cand))
    assert code == 0 and "VERDICT: NO REGRESSION" in out


def test_noisy_difference_inside_ci_is_not_a_regression(tmp_path: Path, capsys):
    base, cand = _run(tmp_path, "base", GOOD), _run(tmp_path, "cand", NOISY)
    code, report = _json(capsys, "--baseline", str(base), "--candidate", str(cand))
    ca = report["tasks"][0]["metrics"][0]
    assert ca["metric"] == "ca" and ca["delta"] == pytest.approx(-0.03)
    assert ca["verdict"] == "inconclusive" and ca["ci_low"] < -0.02 < ca["ci_high"]
    assert code == 0 and report["verdict"] == "no regression"
    # the same drop without demanding evidence is a regression
    rules = tmp_path / "rules.toml"
    rules.write_text("[metrics.ca]\nrequire_evidence = false\n")
    assert _regress(capsys, "--baseline", str(base), "--candidate", str(cand), "--rules", str(rules))[0] == 1


def test_mismatched_task_versions_cannot_compare(tmp_path: Path, capsys):
    base, cand = _run(tmp_path, "base", GOOD), _run(tmp_path, "cand", GOOD, version=2.0)
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(cand))
    assert code == 2 and "task version differs: baseline 1.0 vs candidate 2.0" in out
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(cand), "--allow-mismatch", "version")
    assert code == 0 and "allowed mismatch" in out


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split": "validation"}, "data split differs"),
        ({"signatures": {"ca": "ca|sandbox:docker|timeout:10"}}, "metric ca computed differently"),
        ({"doc_text": "other documents"}, "documents differ between the runs"),
    ],
)
def test_other_mismatches_cannot_compare(tmp_path: Path, capsys, kwargs, message):
    base = _run(tmp_path, "base", GOOD, signatures={"ca": "ca|sandbox:bwrap|timeout:10"})
    cand = _run(tmp_path, "cand", GOOD, **({"signatures": {"ca": "ca|sandbox:bwrap|timeout:10"}} | kwargs))
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(cand))
    assert code == 2 and message in out


def test_missing_samples_are_reported_not_gated_unless_the_rules_say_so(tmp_path: Path, capsys):
    base, cand = _run(tmp_path, "base", GOOD), _run(tmp_path, "cand", NOISY, log_samples=False)
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(cand))
    assert "candidate has no samples file" in out and "reported, not gated" in out
    assert code == 0  # -0.03 is beyond the 0.02 tolerance, but without an interval it is not evidence
    rules = tmp_path / "rules.toml"
    rules.write_text('[metrics.ca]\nno_interval = "gate"\n')
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(cand), "--rules", str(rules))
    assert code == 1 and "point estimate judged" in out  # the rules file asked for the aggregate to decide


def test_csv_baseline_and_cost_rules(tmp_path: Path, capsys):
    dense = efficiency_record("aaaaaaaaaaaa", "dense")
    slower = efficiency_record("bbbbbbbbbbbb", "fact", flops_per_token=2.2e6)  # +10 % FLOPs/token
    base = _run(tmp_path, "base", GOOD, efficiency=dense)
    cand = _run(tmp_path, "cand", GOOD, efficiency=slower)
    board = tmp_path / "baseline.csv"
    assert cli.main([str(base), "-o", str(board), "--baseline", "dense"]) == 0
    code, report = _json(capsys, "--baseline", str(board), "--candidate", str(cand))
    assert code == 1 and report["tasks"][0]["regressions"] == ["flops_per_token"]
    verdicts = {m["metric"]: m for m in report["tasks"][0]["metrics"]}
    assert verdicts["ca"]["verdict"] == "ok" and verdicts["ca"]["method"] == "paired-bootstrap"
    assert "energy_j_per_generated_token" not in verdicts  # unavailable on both sides: nothing to judge, not a 0
    rules = tmp_path / "rules.toml"
    rules.write_text("resamples = 1000\n[metrics.flops_per_token]\nmax_drop_rel = 0.15\n")
    assert _regress(capsys, "--baseline", str(board), "--candidate", str(cand), "--rules", str(rules))[0] == 0


def test_machine_dependent_figures_need_the_same_machine(tmp_path: Path, capsys):
    base = _run(tmp_path, "base", GOOD, efficiency=efficiency_record("aaaaaaaaaaaa", "dense"))
    cand = _run(tmp_path, "cand", GOOD, efficiency=efficiency_record("aaaaaaaaaaaa", "dense", tokens_per_s=10.0),
                env_hash="0123456789ab")  # fmt: skip
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(cand))
    assert code == 0 and "measured on different machines" in out


def test_no_common_task_and_bad_rules(tmp_path: Path, capsys):
    base = _run(tmp_path, "base", GOOD)
    write_run(tmp_path / "cand", task="another_task")
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(tmp_path / "cand"))
    assert code == 2 and "no task in common" in out
    bad = tmp_path / "bad.toml"
    for text, message in [
        ("[metrics.ca]\ndirection = 'up'\n", "direction must be"),
        ("[metrics.brand_new]\nmax_drop = 1\n", "give its direction"),
        ("[metrics.ca]\nmax_dorp = 1\n", "unknown keys"),
        ("nonsense = [", "invalid TOML"),
    ]:
        bad.write_text(text)
        with pytest.raises(RulesError, match=message):
            load_rules(bad)
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(base), "--rules", str(bad))
    assert code == 2 and "invalid TOML" in out


def test_committed_csv_with_kept_scores_still_pairs(tmp_path: Path, capsys):
    base, cand = _run(tmp_path, "base", GOOD), _run(tmp_path, "cand", BAD)
    board = tmp_path / "committed" / "baseline.csv"
    assert cli.main([str(base), "-o", str(board), "--keep-samples"]) == 0
    kept = next((tmp_path / "committed" / "baseline.samples").glob("*.jsonl"))
    assert '"prompt"' not in kept.read_text() and '"doc_hash"' in kept.read_text()  # scores only, no documents
    shutil.rmtree(base)  # the run folder is gone, as on a CI runner
    code, report = _json(capsys, "--baseline", str(board), "--candidate", str(cand))
    ca = report["tasks"][0]["metrics"][0]
    assert code == 1 and ca["method"] == "paired-bootstrap" and ca["paired_n"] == N


def test_per_sample_cost_metrics_are_paired(tmp_path: Path, capsys):
    write_run(tmp_path / "base", per_sample={"ca": GOOD, "flops": [1000.0 + i for i in range(N)]})
    write_run(tmp_path / "cand", per_sample={"ca": GOOD, "flops": [1200.0 + i for i in range(N)]})
    code, report = _json(capsys, "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand"))
    flops = next(m for m in report["tasks"][0]["metrics"] if m["metric"] == "sample_flops")
    assert code == 1 and flops["method"] == "paired-bootstrap" and flops["verdict"] == "regression"


def test_different_limits_pair_the_common_documents(tmp_path: Path, capsys):
    base, cand = _run(tmp_path, "base", GOOD), _run(tmp_path, "cand", GOOD[:100])  # candidate ran --limit 100
    code, report = _json(capsys, "--baseline", str(base), "--candidate", str(cand))
    ca = report["tasks"][0]["metrics"][0]
    assert code == 0 and ca["paired_n"] == 100 and ca["delta"] == 0.0 and "paired on the 100" in ca["note"]


def test_run_level_timings_are_judged_but_not_gated_by_default(tmp_path: Path, capsys):
    base = _run(tmp_path, "base", GOOD, efficiency=efficiency_record("aaaaaaaaaaaa", "dense"))
    cand = _run(tmp_path, "cand", GOOD, efficiency=efficiency_record("aaaaaaaaaaaa", "dense", tokens_per_s=10.0))
    code, out = _regress(capsys, "--baseline", str(base), "--candidate", str(cand))
    assert code == 0 and "REGRESSION (not gated)" in out
    rules = tmp_path / "rules.toml"
    rules.write_text("[metrics.tokens_per_s]\ngate = true\n")
    assert _regress(capsys, "--baseline", str(base), "--candidate", str(cand), "--rules", str(rules))[0] == 1
