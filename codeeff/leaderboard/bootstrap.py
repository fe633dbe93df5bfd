"""Paired bootstrap confidence intervals on the difference of two runs' means over the same documents.

Why paired: both runs answer the same documents, so per-document differences cancel document difficulty, the
dominant source of variance in code benchmarks; an unpaired interval (from lm-eval's two stderrs) is several times
wider. Why bootstrap: CA, EM and pass/fail metrics are 0/1 with small n, where normal approximations misbehave.
The seed is fixed so the same inputs always give the same interval (a CI gate must not flake on its own).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 2000
MIN_RESAMPLES = 1000
DEFAULT_SEED = 20240917
DEFAULT_CONFIDENCE = 0.95
_CHUNK_CELLS = 4_000_000  # resample matrix cells per chunk (~32 MB of int64 indices)


@dataclass(frozen=True)
class Interval:
    """``delta`` = mean(candidate) - mean(baseline) over ``n`` paired documents, with its percentile interval."""

    delta: float
    low: float
    high: float
    n: int
    confidence: float
    resamples: int
    seed: int


def paired_bootstrap(
    baseline: list[float] | np.ndarray,
    candidate: list[float] | np.ndarray,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Interval | None:
    """Percentile interval of the mean paired difference; None when there is nothing to pair."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if resamples < MIN_RESAMPLES:
        raise ValueError(f"at least {MIN_RESAMPLES} bootstrap resamples are required, got {resamples}")
    base = np.asarray(baseline, dtype=float)
    cand = np.asarray(candidate, dtype=float)
    if base.shape != cand.shape:
        raise ValueError(f"paired samples must have the same length ({base.size} vs {cand.size})")
    n = int(base.size)
    if n == 0:
        return None
    diffs = cand - base
    rng = np.random.Generator(np.random.PCG64(seed))
    means = np.empty(resamples)
    chunk = max(1, _CHUNK_CELLS // n)
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = diffs[idx].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return Interval(float(diffs.mean()), float(low), float(high), n, confidence, resamples, seed)
