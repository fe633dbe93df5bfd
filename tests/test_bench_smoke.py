"""The benchmarks run end to end on small inputs and report what they claim to (figures, not speed: no timing
asserts here; the real runs are ``make bench``)."""

from __future__ import annotations

import argparse
import math

import pytest

from codeeff.bench import adapters, metrics, sandbox


def _args(module, **overrides) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    args = parser.parse_args([])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


@pytest.mark.slow
def test_sandbox_benchmark_runs_every_path_on_real_references(data_dir):
    report = sandbox.run(_args(sandbox, languages="python", limit=6, repeats=1, data_dir=str(data_dir)))
    python = report["languages"]["python"]
    for path in ("isolated", "isolated_one_shot", "unsandboxed_pool", "one_at_a_time"):
        assert python[path]["statuses"] == {"passed": 6}, (path, python[path]["statuses"])
        assert python[path]["wall_s"]["median"] > 0
    assert python["isolated"]["runners"] == {"warm": 6}
    check = python["isolated"]["slot_check"]  # the host checked the warm slot after every job and found nothing
    assert check["jobs_checked"] == 6 and check["anomalies"] == 0 and check["cpu_ms_per_job"]["median"] > 0
    assert python["isolated"]["cpu_s"]["median"] > 0, report["cpu_meter"]  # the programs' CPU reached the meter
    assert python["isolated_one_shot"]["runners"] == {"one-shot": 6}
    assert report["summary"]["python_ratio_vs_unsandboxed"] > 0


def test_metrics_benchmark_serial_equals_parallel(data_dir):
    report = metrics.run(_args(metrics, pairs=40, workers=2, data_dir=str(data_dir), skip_anchor=True))
    assert report["summary"]["serial_equals_parallel"] is True


@pytest.mark.slow
def test_adapters_benchmark_reports_overhead_pairs_exits_and_checks(tiny_model_dir):
    report = adapters.run(_args(adapters, model=str(tiny_model_dir), prompts=1, new_tokens=3, repeats=2,
                                exit_depths="1;2", threads=1))  # fmt: skip
    overhead = report["overhead"]
    assert len(overhead["pair_overhead_pct"]) == 2 and math.isfinite(overhead["overhead_pct"])
    self_time = overhead["instrumentation_self_time"]
    assert 0 < self_time["codeeff_self_s"] < self_time["profiled_total_s"] and 0 < self_time["pct"] < 100
    assert [e["k"] for e in report["early_exit_fixed"]] == [1, 2]
    assert all(e["flops_ratio"] > 1 for e in report["early_exit_fixed"])
    assert {c["policy"] for c in report["exit_checks"]} == {"confidence", "saturation", "classifier", "policy"}
    assert all(c["checks"] > 0 for c in report["exit_checks"])
    assert report["energy"]["value"] is None and report["energy"]["reason"]  # no sensor here: null with a reason
