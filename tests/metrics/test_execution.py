"""pass@k against brute-force enumeration, refusal when n < k, a document's CA / pass@k / outcome mix."""

from __future__ import annotations

import itertools

import pytest

from codeeff.metrics import corpus_pass_at_k, document_metrics, pass_at_k
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


KINDS = ("passed", "wrong_answer", "compile_error", "runtime_error", "timeout", "other")


def test_document_metrics_of_n_samples():
    passed = [True, False, False, True, False]
    kinds = ["passed", "wrong_answer", "timeout", "passed", "wrong_answer"]
    out = document_metrics(passed, kinds, known_kinds=KINDS, type_=3, ks=(1, 5, 10))
    assert list(out) == ["ca", "ca_type3", "pass@1", "pass@5", *[f"exec_status_{k}" for k in KINDS]]
    assert out["ca"] == out["ca_type3"] == 2 / 5 and out["pass@1"] == pytest.approx(2 / 5)
    assert out["pass@5"] == 1.0  # pass@10 is absent: n = 5 < 10
    assert (out["exec_status_wrong_answer"], out["exec_status_timeout"], out["exec_status_other"]) == (0.4, 0.2, 0.0)
    assert sum(v for k, v in out.items() if k.startswith("exec_status_")) == pytest.approx(1.0)
    assert "ca_type1" not in document_metrics([True], ["passed"], known_kinds=KINDS)


def test_document_metrics_refuses_bad_input():
    with pytest.raises(ValueError, match="unknown outcome kind"):
        document_metrics([False], ["exploded"], known_kinds=KINDS)
    with pytest.raises(ValueError, match="without counted samples"):
        document_metrics([], [], known_kinds=KINDS)
    with pytest.raises(ValueError, match="2 outcomes but 1 outcome kinds"):
        document_metrics([True, False], ["passed"], known_kinds=KINDS)
