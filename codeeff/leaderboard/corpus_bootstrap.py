"""Paired bootstrap for corpus-level BLEU and chrF, the way sacrebleu's ``--paired-bs`` does it.

A corpus score is not a mean of per-sample scores, so the per-sample bootstrap cannot give it an interval. sacrebleu's
paired bootstrap resamples documents and recomputes the corpus score from per-sentence sufficient statistics; this
module does the same for the two runs' common documents (from the ``[reference, prediction]`` items lm-eval logs per
sample), using sacrebleu's own metric objects configured from the metric's signature. Before trusting it, the full-
corpus score recomputed here must equal the score each run reported; otherwise no interval is given.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from codeeff.leaderboard.bootstrap import Interval
from codeeff.leaderboard.samples import CORPUS_BOOTSTRAP_METRICS, SampleValues, read_sample_values
from codeeff.leaderboard.schema import as_number

SUPPORTED = CORPUS_BOOTSTRAP_METRICS


def _signature_fields(row: dict, metric: str) -> dict[str, str] | None:
    raw = row.get("metric_signatures")
    try:
        signature = (json.loads(raw) if isinstance(raw, str) else raw or {}).get(metric)
    except (json.JSONDecodeError, AttributeError):
        return None
    if not signature:
        return None
    parts = str(signature).split("|")
    if parts[0] != metric:
        return None
    return dict(p.split(":", 1) for p in parts[1:] if ":" in p)


def sacrebleu_metric(metric: str, fields: dict[str, str]) -> Any:
    """The sacrebleu metric object a codeeff signature describes (``bleu|tok:13a|smooth:exp...``, ``chrf|nc:6...``)."""
    from sacrebleu.metrics import BLEU, CHRF

    lowercase = fields.get("case") == "lc"
    if metric == "bleu":
        return BLEU(tokenize=fields.get("tok", "13a"), smooth_method=fields.get("smooth", "exp"), lowercase=lowercase,
                    effective_order=fields.get("eff") == "yes")  # fmt: skip
    return CHRF(char_order=int(fields.get("nc", 6)), word_order=int(fields.get("nw", 0)), lowercase=lowercase,
                whitespace=fields.get("space") == "yes")  # fmt: skip


def _stats(scorer: Any, pairs: list[tuple[str, str]]) -> np.ndarray:
    refs, hyps = [p[0] for p in pairs], [p[1] for p in pairs]
    return np.asarray(scorer._extract_corpus_statistics(hyps, [refs]), dtype=float)


def _score(scorer: Any, stats: np.ndarray) -> float:
    return float(scorer._compute_score_from_stats(stats.sum(axis=0).astype(int).tolist()).score)


def corpus_paired_bootstrap(
    base_row: dict, cand_row: dict, metric: str, *, confidence: float, resamples: int, seed: int
) -> tuple[Interval | None, str]:
    """(interval of candidate − baseline, how it was obtained or why not)."""
    if metric not in SUPPORTED:
        return None, f"no corpus-level bootstrap for {metric} (only {', '.join(SUPPORTED)})"
    fields = _signature_fields(base_row, metric)
    if fields is None or fields != _signature_fields(cand_row, metric):
        return None, f"{metric}: no (or different) signature on the two sides"
    sides: list[SampleValues] = []
    for row in (base_row, cand_row):
        path = row.get("samples_file")
        if not path:
            return None, f"{metric}: a side has no samples file"
        samples = read_sample_values(path)
        if metric not in samples.items:
            return None, f"{metric}: a side's samples do not keep its predictions"
        sides.append(samples)
    common = sorted(set(sides[0].items[metric]) & set(sides[1].items[metric]))
    if not common or any(sides[0].doc_hashes.get(d) != sides[1].doc_hashes.get(d) for d in common):
        return None, f"{metric}: no common documents with equal hashes"
    # the same document (equal hash) has the same reference: a scores-only side borrows the other side's
    refs = {d: sides[0].items[metric][d][0] or sides[1].items[metric][d][0] for d in common}
    if any(r is None for r in refs.values()):
        return None, f"{metric}: neither side logged the references"
    scorer = sacrebleu_metric(metric, fields)
    stats = [_stats(scorer, [(refs[d], s.items[metric][d][1]) for d in common]) for s in sides]
    for row, side_stats, samples in zip((base_row, cand_row), stats, sides, strict=True):
        if len(samples.items[metric]) == len(common):
            reported = as_number(row.get(metric))
            if reported is None or abs(_score(scorer, side_stats) - reported) > 1e-6 * max(1.0, abs(reported)):
                return None, f"{metric}: sacrebleu on the logged items does not reproduce the reported score"
    rng = np.random.Generator(np.random.PCG64(seed))
    n = len(common)
    deltas = np.empty(resamples)
    for i in range(resamples):
        idx = rng.integers(0, n, size=n)
        deltas[i] = _score(scorer, stats[1][idx]) - _score(scorer, stats[0][idx])
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(deltas, [tail, 1.0 - tail])
    delta = _score(scorer, stats[1]) - _score(scorer, stats[0])
    return Interval(delta, float(low), float(high), n, confidence, resamples, seed), "sacrebleu paired bootstrap"
