"""pass@k against brute-force enumeration, refusal when n < k, CA breakdowns."""

from __future__ import annotations

import itertools

import pytest

from codeeff.metrics import ca_breakdown, corpus_pass_at_k, execution_metric_names, execution_metrics, pass_at_k
from codeeff.metrics.execution import pass_at_k_from_outcomes


def _brute_force(n: int, c: int, k: int) -> float:
    """Probability that a uniformly drawn k-subset of the n samples contains a passing one."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(samples[i] for i in subset) for subset in subsets) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_pass_at_k_equals_brute_force_enumeration(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(_brute_force(n, c, k), abs=1e-12), (n, c, k)


def test_pass_at_1_is_the_pass_fraction():
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(200, 0, 100) == 0.0
    assert pass_at_k(200, 200, 100) == 1.0


def test_n_smaller_than_k_is_refused_not_dropped_or_faked():
    with pytest.raises(ValueError, match=r"pass@10 is undefined with n=5 < k"):
        pass_at_k(5, 5, 10)
    with pytest.raises(ValueError, match=r"problem 'HumanEval/3' has n=2"):
        corpus_pass_at_k({"HumanEval/1": [True] * 10, "HumanEval/3": [False, True]}, ks=[1, 10])
    with pytest.raises(ValueError, match="0 <= c <= n"):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError, match="k >= 1"):
        pass_at_k(3, 1, 0)


def test_corpus_pass_at_k_is_the_mean_over_problems():
    result = corpus_pass_at_k([[True, False, False, False], [False] * 4], ks=[1, 2])
    assert result == {"pass@1": pytest.approx(0.125), "pass@2": pytest.approx(0.25)}
    assert pass_at_k_from_outcomes([True, False], ks=[1, 2]) == {"pass@1": 0.5, "pass@2": 1.0}


def test_ca_breakdown_by_status_and_type():
    statuses = ["passed", "failed", "compile_error", "passed", "killed:SIGKILL", "timeout"]
    types = [1, 1, 2, 2, 4, None]
    out = ca_breakdown(statuses, types)
    assert out["ca"] == pytest.approx(2 / 6)
    assert out["exec_status_compile_error"] == pytest.approx(1 / 6)
    assert out["exec_status_killed"] == pytest.approx(1 / 6)
    assert sum(v for k, v in out.items() if k.startswith("exec_status_")) == pytest.approx(1.0)
    assert (out["ca_type1"], out["ca_type2"], out["ca_type4"]) == (0.5, 0.5, 0.0)
    assert "ca_type3" not in out  # no documents of that type: absent, not 0


def test_execution_metrics_per_document_for_process_results():
    values = execution_metrics("passed", type_=3)
    assert values["ca"] == 1.0 and values["ca_type3"] == 1.0 and values["exec_status_passed"] == 1.0
    assert set(values) <= set(execution_metric_names())
    assert "ca_type1" not in execution_metrics("runtime_error", type_=None)
    with pytest.raises(ValueError, match="unknown execution status 'exploded'"):
        execution_metrics("exploded")
    with pytest.raises(ValueError, match="type must be one of"):
        execution_metrics("passed", type_=7)
