"""The leaderboard and the gate on real lm-eval output (tiny random-init models run by ``codeeff run``)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from lb_factory import check_golden

from codeeff.leaderboard import cli, regress_cli

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out


def _rows_model(real_runs) -> str:
    return json.loads(next(real_runs.plain.rglob("results_*.json")).read_text())["model_name"]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_leaderboard_from_real_runs(real_runs, tmp_path: Path):
    out = tmp_path / "real.csv"
    assert cli.main([str(real_runs.plain), str(real_runs.second), "-o", str(out), "--md"]) == 0
    rows = _rows(out)
    assert len(rows) == 2 and {r["task"] for r in rows} == {"codexglue_line_py150"}
    for row in rows:
        assert row["lm_eval_version"] == "0.4.13" and row["transformers_version"].startswith("5.")
        assert row["torch_version"].startswith("2.") and row["device"] == "cpu" and row["dtype"] == "float32"
        assert row["batch_size"] == "2" and row["task_version"] == "1.2" and row["split"] == "dev"
        assert len(row["data_sha256"]) == 64 and "edit_similarity|" in row["metric_signatures"]
        assert row["codeeff_version"] and row["env_fingerprint"] and row["date"].endswith("Z")
        assert row["n_samples"] == "6" and Path(tmp_path, row["samples_file"]).resolve().is_file()
        assert row["exact_match_cxg"] != "" and row["edit_similarity"] != "" and row["edit_similarity_stderr"] != ""
        assert row["codebleu"] != "" and row["bleu_cxg"] != "" and row["status"] != ""  # "status": kept, not dropped
        assert int(row["params"]) > 0
    plain = next(r for r in rows if r["model_backend"] == "hf")
    # plain --model hf: no efficiency record; lm-eval's parameter count is the only cost figure
    assert plain["flops_per_token"] == "" and plain["energy_status"] == "" and plain["spec_hash"] == ""
    # adding the same runs again updates in place
    assert cli.main([str(real_runs.plain), "-o", str(out)]) == 0
    assert len(_rows(out)) == 2
    assert "codexglue_line_py150" in out.with_suffix(".md").read_text()


def test_regress_real_runs_against_csv_baseline(real_runs, tmp_path: Path, capsys):
    board = tmp_path / "baseline.csv"
    assert cli.main([str(real_runs.plain), "-o", str(board)]) == 0
    capsys.readouterr()
    assert regress_cli.main(["--baseline", str(board), "--candidate", str(real_runs.plain), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    metrics = {m["metric"]: m for m in report["tasks"][0]["metrics"]}
    for name in ("exact_match_cxg", "edit_similarity", "levenshtein_distance"):
        assert metrics[name]["method"] == "paired-bootstrap" and metrics[name]["paired_n"] == 6
        assert metrics[name]["delta"] == 0.0 and metrics[name]["verdict"] == "ok"
    assert metrics["codebleu"]["method"] == "aggregate" and "corpus-level" in metrics["codebleu"]["note"]


def test_regress_real_runs_mismatched_version(real_runs, tmp_path: Path, capsys):
    edited = tmp_path / "edited"
    shutil.copytree(real_runs.second, edited)
    results = next(edited.rglob("results_*.json"))
    data = json.loads(results.read_text())
    data["versions"]["codexglue_line_py150"] = 2.0
    results.write_text(json.dumps(data))
    code = regress_cli.main(["--baseline", str(real_runs.plain), "--candidate", str(edited)])
    assert code == 2 and "task version differs" in capsys.readouterr().out


def test_codeeff_hf_variant_has_cost_columns(real_runs, tmp_path: Path, capsys):
    if not real_runs.second_is_variant:
        pytest.skip("codeeff-hf (codeeff.model_adapters.lm) is not in this checkout yet")
    out = tmp_path / "variant.csv"
    args = [str(real_runs.plain), str(real_runs.second), "-o", str(out), "--plot", "--md"]
    model = _rows_model(real_runs)
    assert cli.main([*args, "--baseline", model]) == 0  # the plain row's label is the bare model name
    rows = _rows(out)
    variant = next(r for r in rows if r["spec_hash"])
    assert variant["variant"] == "early_exit=fixed:2" and variant["model_backend"] == "codeeff-hf"
    assert float(variant["flops_per_token"]) > 0 and float(variant["layers_per_token"]) == 2.0
    assert variant["baseline"] == Path(model).name and variant["delta_edit_similarity_paired_n"] == "6"
    assert "/" not in variant["model"] and "/" not in json.loads(variant["model_args"])["pretrained"]  # no paths
    assert float(variant["sample_flops"]) > 0  # the task's per-sample cost means
    assert variant["eff_flops_total"] != ""  # figures beyond the contract's list are kept, not dropped
    assert variant["energy_status"] in {"measured", "unavailable"}
    if variant["energy_status"] == "unavailable":
        assert variant["energy_j_per_generated_token"] == "" and variant["energy_reason"]
    assert list(tmp_path.glob("variant.*.pareto-flops.png"))


# Columns of a real run that do not depend on when, where or how fast it ran, nor on the evolving cost
# model (FLOPs) or CodeBLEU implementation (the golden file pins these; FLOPs are checked for sanity elsewhere).
STABLE = ("variant", "spec_hash", "task", "model_backend", "lm_eval_version", "device", "dtype", "batch_size",
          "task_version", "n_shot", "split", "dataset", "data_sha256", "limit", "n_samples", "gen_kwargs",
          "exact_match_cxg", "edit_similarity", "levenshtein_distance", "bleu_cxg", "params", "param_bytes",
          "compression_ratio", "layers_per_token", "gen_tokens", "energy_status", "delta_edit_similarity")  # fmt: skip


def test_real_leaderboard_golden(real_runs, tmp_path: Path):
    out = tmp_path / "real.csv"
    assert (
        cli.main([str(real_runs.plain), str(real_runs.second), "-o", str(out), "--baseline", _rows_model(real_runs)])
        == 0
    )
    # extra efficiency figures (eff_*) are whatever codeeff-hf adds beyond the contract: kept, but not pinned here
    header = ",".join(c for c in out.read_text().splitlines()[0].split(",") if "eff_" not in c)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STABLE)
    writer.writerows([row[c] for c in STABLE] for row in _rows(out))
    produced = tmp_path / "real-stable.csv"
    produced.write_text(header + "\n" + buffer.getvalue())
    name = "real-variant.csv" if real_runs.second_is_variant else "real-two-models.csv"
    check_golden(produced, name)
