"""codeeff leaderboard on synthetic lm-eval output: schema, deltas with paired CIs, idempotent updates, Markdown, PNG."""

from __future__ import annotations

import csv
import struct
from pathlib import Path

import pytest
from lb_factory import check_golden, efficiency_record, write_run

from codeeff.contracts.metrics import QUALITY_METRICS
from codeeff.contracts.records import COST_COLUMNS, IDENTITY_COLUMNS, PROVENANCE_COLUMNS, TRAINING_COST_COLUMNS
from codeeff.leaderboard import cli

# The documented schema (docs/leaderboard.md): pinned here so a change is a deliberate, reviewed one.
PINNED_PREFIX = [
    "schema", "model", "variant", "spec_hash", "task", "model_backend", "model_args", "codeeff_version", "lm_eval_version",
    "transformers_version", "torch_version", "device", "dtype", "batch_size", "date", "env_fingerprint",
    "task_version", "n_shot", "split", "dataset", "data_sha256", "task_hash", "limit", "n_samples", "gen_kwargs",
    "metric_signatures", "sandbox", "results_file", "samples_file",
    "ca", "ca_stderr", "ca_type1", "ca_type1_stderr", "ca_type2", "ca_type2_stderr", "ca_type3", "ca_type3_stderr",
    "ca_type4", "ca_type4_stderr", "pass@1", "pass@1_stderr", "codebleu", "codebleu_stderr", "codebleu_ngram",
    "codebleu_ngram_stderr", "codebleu_weighted_ngram", "codebleu_weighted_ngram_stderr", "codebleu_syntax",
    "codebleu_syntax_stderr", "codebleu_dataflow", "codebleu_dataflow_stderr", "bleu", "bleu_stderr", "bleu_cxg",
    "bleu_cxg_stderr", "chrf", "chrf_stderr", "rougeL", "rougeL_stderr", "rougeL_code", "rougeL_code_stderr",
    "exact_match", "exact_match_stderr", "exact_match_cxg", "exact_match_cxg_stderr", "exact_match_plain",
    "exact_match_plain_stderr", "edit_similarity", "edit_similarity_stderr", "levenshtein_distance",
    "levenshtein_distance_stderr", "token_accuracy", "token_accuracy_stderr",
]  # fmt: skip
PINNED_COST = [
    "params", "param_bytes", "compression_ratio", "flops_per_token", "flops_dense_per_token", "layers_per_token",
    "tokens_per_s", "latency_s_mean", "prefill_s", "decode_s", "peak_memory_bytes", "kv_cache_bytes", "energy_j",
    "energy_j_per_generated_token", "energy_j_per_position", "resident_bytes", "gen_tokens", "sample_flops", "sample_flops_dense", "sample_latency_s", "sample_gen_tokens",
    "sample_layers_per_token", "sample_energy_j", "energy_status", "energy_reason", "cost_status", "cache_used",
]  # fmt: skip
PINNED_TRAINING = ["train_wall_s", "train_tokens"]

BASE_CA = [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1]
LOW_CA = [0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1]


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def two_runs(tmp_path: Path) -> Path:
    """A dense baseline and an early-exit variant on the same 20 documents, with efficiency records."""
    runs = tmp_path / "runs"
    write_run(runs / "dense", per_sample={"ca": BASE_CA, "my_new_metric": [0.5] * 20}, corpus={"codebleu": 0.61},
              efficiency=efficiency_record("aaaaaaaaaaaa", "dense"))  # fmt: skip
    write_run(runs / "ee", per_sample={"ca": LOW_CA, "my_new_metric": [0.25] * 20}, corpus={"codebleu": 0.52},
              efficiency=efficiency_record("bbbbbbbbbbbb", "early_exit fixed:2", flops_per_token=1e6,
                                           layers_per_token=2.0, tokens_per_s=80.0),
              timestamp="2026-11-23T19-00-00.000000")  # fmt: skip
    return runs


def test_schema_is_pinned():
    assert list(IDENTITY_COLUMNS) + list(PROVENANCE_COLUMNS) == PINNED_PREFIX[1:29]
    quality = [c for c in PINNED_PREFIX[29:] if not c.endswith("_stderr")]
    assert list(QUALITY_METRICS) == quality
    assert list(COST_COLUMNS) == PINNED_COST
    assert list(TRAINING_COST_COLUMNS) == PINNED_TRAINING


def test_csv_schema_deltas_and_golden(two_runs: Path, tmp_path: Path):
    out = tmp_path / "lb" / "synth.csv"
    assert cli.main([str(two_runs), "-o", str(out), "--baseline", "dense", "--md"]) == 0
    header = out.read_text().splitlines()[0].split(",")
    assert header[: len(PINNED_PREFIX)] == PINNED_PREFIX
    # unknown metric kept, right after the known ones; cost block after it; cost to make; then baseline + deltas
    rest = header[len(PINNED_PREFIX) :]
    assert rest[:2] == ["my_new_metric", "my_new_metric_stderr"]
    assert rest[2 : 2 + len(PINNED_COST)] == PINNED_COST
    after_cost = rest[2 + len(PINNED_COST) :]
    assert after_cost[: len(PINNED_TRAINING) + 1] == [*PINNED_TRAINING, "baseline"]
    assert {"delta_ca", "delta_ca_ci_low", "delta_ca_ci_high", "delta_ca_paired_n", "delta_flops_per_token_pct",
            "delta_my_new_metric"} <= set(header)  # fmt: skip

    rows = {r["variant"]: r for r in _read(out)}
    base, ee = rows["dense"], rows["early_exit fixed:2"]
    assert base["baseline"] == ee["baseline"] == "tiny/llama@aaaaaaaaaaaa"
    assert float(base["ca"]) == pytest.approx(0.75) and float(ee["ca"]) == pytest.approx(0.40)
    assert float(ee["delta_ca"]) == pytest.approx(-0.35)
    low, high = float(ee["delta_ca_ci_low"]), float(ee["delta_ca_ci_high"])
    assert low < -0.35 < high < 0 and ee["delta_ca_paired_n"] == "20"
    assert float(ee["delta_codebleu"]) == pytest.approx(-0.09)
    assert ee["delta_codebleu_ci_low"] == ""  # corpus-level: no per-sample scores, no interval (not 0)
    assert float(ee["delta_flops_per_token_pct"]) == pytest.approx(-50.0)
    assert float(base["delta_ca"]) == 0.0
    # missing stays empty (never 0): energy unavailable on CPU, with its status and reason
    assert ee["energy_j_per_generated_token"] == "" and ee["energy_status"] == "unavailable"
    assert "no RAPL" in ee["energy_reason"]
    assert ee["ca_type1"] == "" and ee["prefill_s"] == ""
    assert ee["results_file"].startswith("../runs/ee/") and ee["samples_file"].endswith(".jsonl")
    assert ee["date"] == "2026-11-23T18:44:29Z" and ee["torch_version"] == "2.13.0+cpu"
    check_golden(out, "synth.csv")
    check_golden(out.with_suffix(".md"), "synth.md")


def test_update_is_idempotent(two_runs: Path, tmp_path: Path):
    out = tmp_path / "lb" / "synth.csv"
    assert cli.main([str(two_runs), "-o", str(out), "--baseline", "dense"]) == 0
    first = out.read_text()
    assert cli.main([str(two_runs), "-o", str(out)]) == 0  # same input, baseline remembered
    assert out.read_text() == first
    # a newer run of the same variant replaces its row; a new task adds rows
    write_run(two_runs / "ee", per_sample={"ca": BASE_CA, "my_new_metric": [0.5] * 20}, corpus={"codebleu": 0.6},
              efficiency=efficiency_record("bbbbbbbbbbbb", "early_exit fixed:2"), date=1795460000.0,
              timestamp="2026-11-23T20-00-00.000000")  # fmt: skip
    write_run(tmp_path / "other", task="second_task", per_sample={"exact_match": [1, 0]})
    assert cli.main([str(two_runs / "ee"), str(tmp_path / "other"), "-o", str(out)]) == 0
    rows = _read(out)
    assert len(rows) == 3
    ee = next(r for r in rows if r["variant"] == "early_exit fixed:2")
    assert float(ee["ca"]) == pytest.approx(0.75) and float(ee["delta_ca"]) == 0.0
    assert ee["date"] == "2026-11-23T18:53:20Z"
    plain = next(r for r in rows if r["task"] == "second_task")
    assert plain["baseline"] == "" and plain["delta_exact_match"] == ""
    # plain --model hf: no efficiency record, so cost is empty except lm-eval's own parameter count
    assert plain["flops_per_token"] == "" and plain["tokens_per_s"] == "" and plain["params"] == "197184"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_writes_valid_pngs(two_runs: Path, tmp_path: Path):
    write_run(two_runs / "measured", model="tiny/qwen", per_sample={"ca": BASE_CA, "my_new_metric": [0.5] * 20},
              efficiency=efficiency_record("cccccccccccc", "attn bypass 2", flops_per_token=1.5e6,
                                           energy_j_per_generated_token=0.01))  # fmt: skip
    out = tmp_path / "lb" / "synth.csv"
    assert cli.main([str(two_runs), "-o", str(out), "--baseline", "dense", "--plot"]) == 0
    flops = out.parent / "synth.synth_task.pareto-flops.png"
    energy = out.parent / "synth.synth_task.pareto-energy.png"
    assert _png_size(flops) == (900, 600) and 15_000 < flops.stat().st_size < 400_000
    assert _png_size(energy) == (900, 600)


def test_bad_inputs_fail_clearly(tmp_path: Path, capsys):
    assert cli.main([str(tmp_path / "nope"), "-o", str(tmp_path / "x.csv")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main([str(tmp_path / "empty"), "-o", str(tmp_path / "x.csv")]) == 2
    assert "no results_*.json" in capsys.readouterr().err
    bad = tmp_path / "bad" / "results_2026.json"
    bad.parent.mkdir()
    bad.write_text("{not json")
    assert cli.main([str(bad), "-o", str(tmp_path / "x.csv")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_ambiguous_baseline(two_runs: Path, tmp_path: Path, capsys):
    write_run(two_runs / "dense2", model="tiny/other", efficiency=efficiency_record("dddddddddddd", "dense"))
    assert cli.main([str(two_runs), "-o", str(tmp_path / "x.csv"), "--baseline", "dense"]) == 2
    assert "matches 2 rows" in capsys.readouterr().err
