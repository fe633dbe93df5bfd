"""Paired-bootstrap intervals on the quality ratios of ``codeeff bench train``.

A run's ROUGE-L or CodeBLEU ÷ a dense run's, over the same documents, is a ratio of two corpus scores; on a few
hundred completions its sampling error is several hundredths, the size of the margins the target is judged on. Both
runs answer the same documents, so the documents are resampled together (paired) and each resample recomputes both
corpus scores from per-document figures:

* ROUGE-L (codeeff's ``rougeL``): the corpus score is the mean of per-pair F-measures, so the per-pair values are
  resampled;
* CodeBLEU (codeeff mode): the corpus score combines per-pair counts (n-gram, weighted n-gram, syntax and dataflow
  matches), so the counts are resampled and combined with :func:`codeeff.metrics.code_bleu.combine`.

Before an interval is trusted, each run's full-corpus score recomputed here must equal the score the run reported;
otherwise :class:`IntervalError` is raised. The seed is fixed, so the same runs always give the same intervals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codeeff.leaderboard.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED

METRICS = ("rougeL", "codebleu")
CONFIDENCE = 0.90


class IntervalError(ValueError):
    """The logged samples cannot give an interval (missing items, different documents, a score not reproduced)."""


@dataclass(frozen=True)
class DocumentScores:
    """One run's per-document figures, in ``doc_ids`` order."""

    doc_ids: tuple[int, ...]
    rouge: np.ndarray  # per-pair ROUGE-L F
    codebleu: tuple[tuple, ...]  # per-pair CodeBLEU counts

    def value(self, metric: str, index: np.ndarray | None = None) -> float:
        """The corpus score of the documents at ``index`` (all documents when None)."""
        from codeeff.metrics import code_bleu

        index = np.arange(len(self.doc_ids)) if index is None else index
        if metric == "rougeL":
            return float(self.rouge[index].mean())
        if metric == "codebleu":
            return float(code_bleu.combine([self.codebleu[i] for i in index], "codeeff").codebleu)
        raise IntervalError(f"no interval for {metric} (only {', '.join(METRICS)})")


def read_scores(sample_file: str | Path) -> DocumentScores:
    """Per-document ROUGE-L and CodeBLEU counts of an lm-eval samples file (its logged reference/prediction items)."""
    from codeeff.metrics import code_bleu, registry

    items: dict[int, dict[str, dict]] = {}
    for line_no, line in enumerate(Path(sample_file).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        logged = {m: record.get(m) for m in METRICS}
        missing = [m for m, item in logged.items() if not isinstance(item, dict) or "prediction" not in item]
        if missing:
            raise IntervalError(f"{sample_file}:{line_no}: no logged {'/'.join(missing)} item")
        items[int(record["doc_id"])] = logged
    if not items:
        raise IntervalError(f"{sample_file}: no samples")
    doc_ids = tuple(sorted(items))
    languages = {str(items[d]["codebleu"]["language"]) for d in doc_ids}
    if len(languages) != 1:
        raise IntervalError(f"{sample_file}: more than one language ({sorted(languages)})")
    rouge = registry.get("rougeL")
    scores = np.array([rouge.sample(prediction=str(items[d]["rougeL"]["prediction"]),
                                    reference=str(items[d]["rougeL"]["reference"]), language=None)
                       for d in doc_ids])  # fmt: skip
    counts = code_bleu.memoized_statistics(
        predictions=[str(items[d]["codebleu"]["prediction"]) for d in doc_ids],
        references=[str(items[d]["codebleu"]["reference"]) for d in doc_ids],
        language=languages.pop(),
    )
    return DocumentScores(doc_ids, scores, tuple(counts))


def check_reported(scores: DocumentScores, reported: dict[str, float | None], name: str) -> None:
    """Raise unless the full-corpus scores recomputed from the samples equal the ones the run reported."""
    for metric in METRICS:
        value, want = scores.value(metric), reported.get(metric)
        if want is None or abs(value - want) > 1e-9 * max(1.0, abs(want)):
            raise IntervalError(f"{name}: {metric} recomputed from its samples is {value}, the run reported {want}")


@dataclass(frozen=True)
class Resampled:
    """A run's corpus scores on each bootstrap resample of its documents. Runs resampled with the same documents,
    ``resamples`` and ``seed`` drew the same indices, so their values pair up resample by resample."""

    doc_ids: tuple[int, ...]
    resamples: int
    seed: int
    full: dict[str, float]  # the score on all documents
    values: dict[str, np.ndarray]  # [resamples] per metric


def resample(scores: DocumentScores, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> Resampled:
    """The corpus scores of ``scores`` on ``resamples`` draws of its documents with replacement (computed once per
    run, however many runs it is compared with)."""
    n = len(scores.doc_ids)
    rng = np.random.Generator(np.random.PCG64(seed))
    rows = [rng.integers(0, n, size=n) for _ in range(resamples)]
    return Resampled(
        scores.doc_ids,
        resamples,
        seed,
        {m: scores.value(m) for m in METRICS},
        {m: np.array([scores.value(m, row) for row in rows]) for m in METRICS},
    )


def ratio_intervals(
    run: Resampled, baselines: dict[str, Resampled], *, confidence: float = CONFIDENCE
) -> dict[str, list[float] | None]:
    """``{f"{metric}_{baseline}": [low, high]}``: percentile intervals of run ÷ baseline for every metric, resample
    by resample (paired); None where the baseline scores 0 on the full corpus (no ratio; resamples where it scores 0
    are left out of the others)."""
    for name, base in baselines.items():
        if base.doc_ids != run.doc_ids:
            raise IntervalError(f"the run and {name} answered different documents")
        if (base.resamples, base.seed) != (run.resamples, run.seed):
            raise IntervalError(f"the run and {name} were resampled differently: their resamples do not pair up")
    tail = (1.0 - confidence) / 2.0
    out: dict[str, list[float] | None] = {}
    for metric in METRICS:
        for name, base in baselines.items():
            if not base.full[metric]:
                out[f"{metric}_{name}"] = None
                continue
            denominator = base.values[metric]
            ratios = np.divide(run.values[metric], denominator, out=np.full(len(denominator), np.nan),
                               where=denominator != 0)  # fmt: skip
            out[f"{metric}_{name}"] = [round(float(q), 4) for q in np.nanquantile(ratios, [tail, 1.0 - tail])]
    return out


def target_verdict(
    flops_ratio: float, intervals: list[list[float] | None], flops_target: float, quality_target: float
) -> str:
    """``met`` when the FLOPs ratio is within its target and every quality interval lies at or above its target;
    ``not met`` when the FLOPs ratio is over or some interval lies wholly below; ``inconclusive`` otherwise (an
    interval straddles the target, or a ratio is undefined)."""
    if flops_ratio > flops_target or any(iv is not None and iv[1] < quality_target for iv in intervals):
        return "not met"
    return "met" if all(iv is not None and iv[0] >= quality_target for iv in intervals) else "inconclusive"
