"""Paired bootstrap: deterministic, sound on known cases, and refusing too few resamples."""

from __future__ import annotations

import numpy as np
import pytest

from codeeff.leaderboard.bootstrap import paired_bootstrap


def test_identical_runs_give_a_zero_interval():
    values = [1, 0, 1, 1, 0]
    iv = paired_bootstrap(values, values)
    assert (iv.delta, iv.low, iv.high, iv.n) == (0.0, 0.0, 0.0, 5)


def test_fixed_seed_is_deterministic_and_seed_matters():
    rng = np.random.default_rng(1)
    base, cand = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    assert paired_bootstrap(base, cand) == paired_bootstrap(base, cand)
    assert paired_bootstrap(base, cand, seed=1) != paired_bootstrap(base, cand, seed=2)


def test_pairing_is_narrower_than_ignoring_it():
    # every document gets exactly 0.1 better: paired, the difference has no variance at all
    base = np.linspace(0.0, 0.9, 100)
    iv = paired_bootstrap(base, base + 0.1)
    assert iv.low == pytest.approx(0.1) and iv.high == pytest.approx(0.1)


def test_interval_covers_the_true_difference_usually():
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(40):
        base = rng.binomial(1, 0.6, 200)
        cand = np.where(rng.random(200) < 0.1, 1 - base, base)  # 10 % of answers flip either way: true delta ~ -0.02
        iv = paired_bootstrap(base, cand, resamples=1000, seed=int(rng.integers(1 << 30)))
        true = 0.1 * (0.4 - 0.6)
        covered += iv.low <= true <= iv.high
    assert covered >= 34  # nominal 95 % of 40 = 38; allow sampling slack


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 1000"):
        paired_bootstrap([1], [1], resamples=999)
    with pytest.raises(ValueError, match="same length"):
        paired_bootstrap([1, 0], [1])
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap([1], [1], confidence=1.5)
    assert paired_bootstrap([], []) is None
