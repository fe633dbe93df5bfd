"""Per-sample metric values from lm-eval ``samples_<task>_<ts>.jsonl`` files, for paired comparisons.

Each record carries ``doc_id``, ``filter``, ``doc_hash``, the list ``metrics`` of the keys it scored, and those keys'
values. Scalar values (0/1 for CA and EM, floats for edit similarity, cost figures) can be paired by ``doc_id`` and
bootstrapped; corpus-level metrics (BLEU, CodeBLEU, chrF) log ``[reference, prediction]`` items instead, which are
not per-sample scores, so they are recorded as such and compared on their aggregates only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from codeeff.leaderboard.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Interval,
    paired_bootstrap,
)
from codeeff.leaderboard.files import atomic_write_text
from codeeff.leaderboard.load import ResultsError
from codeeff.leaderboard.schema import as_number, metric_column


@dataclass
class SampleValues:
    """Scalar per-sample values by metric column and ``doc_id``, plus each document's hash (to detect data drift)."""

    values: dict[str, dict[int, float]] = field(default_factory=dict)
    doc_hashes: dict[int, str] = field(default_factory=dict)
    non_scalar: set[str] = field(default_factory=set)
    # corpus-level metrics: column -> doc_id -> (reference, prediction), for a corpus-level paired bootstrap
    # (a scores-only copy keeps the prediction and drops the reference: None; the other side's reference is used)
    items: dict[str, dict[int, tuple[str | None, str]]] = field(default_factory=dict)

    def mean(self, column: str) -> float | None:
        column_values = self.values.get(column)
        return sum(column_values.values()) / len(column_values) if column_values else None


def read_sample_values(path: str | Path) -> SampleValues:
    """Parse one samples file (cached by path and modification time; files are re-read when rewritten)."""
    resolved = Path(path).resolve()
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read samples file: {exc}") from exc
    return _read_cached(str(resolved), mtime)


@lru_cache(maxsize=64)
def _read_cached(path: str, _mtime: int) -> SampleValues:
    out = SampleValues()
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                doc_id = int(record["doc_id"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ResultsError(f"{path}:{line_no}: not an lm-eval sample record ({exc})") from exc
            if record.get("doc_hash"):
                out.doc_hashes[doc_id] = str(record["doc_hash"])
            for metric in record.get("metrics") or []:
                column = metric_column(metric, record.get("filter"))
                value = record.get(metric)
                number = None if isinstance(value, list | dict | str) else as_number(value)
                if number is None:
                    if value is not None:
                        out.non_scalar.add(column)
                    if isinstance(value, dict) and "prediction" in value:
                        reference = value.get("reference")
                        pair_item = (reference if isinstance(reference, str) else None, str(value["prediction"] or ""))
                        out.items.setdefault(column, {})[doc_id] = pair_item
                    continue
                out.values.setdefault(column, {})[doc_id] = number
    return out


def pair(baseline: SampleValues, candidate: SampleValues, column: str) -> tuple[list[float], list[float], list[int]]:
    """Values of ``column`` for the documents both sides scored, in doc_id order, and the doc_ids whose hashes differ.

    A differing ``doc_hash`` for the same ``doc_id`` means the two runs saw different documents: pairing them would
    be meaningless, so the caller must refuse.
    """
    left = baseline.values.get(column) or {}
    right = candidate.values.get(column) or {}
    common = sorted(set(left) & set(right))
    drifted = [
        d
        for d in common
        if d in baseline.doc_hashes and d in candidate.doc_hashes and baseline.doc_hashes[d] != candidate.doc_hashes[d]
    ]
    return [left[d] for d in common], [right[d] for d in common], drifted


@dataclass
class Paired:
    """A paired-bootstrap interval for one metric between two rows, or the reason there is none."""

    interval: Interval | None
    reason: str | None = None
    drifted_docs: list[int] = field(default_factory=list)


def _samples_of(row: dict, side: str) -> tuple[SampleValues | None, str | None]:
    path = row.get("samples_file")
    if not path:
        return None, f"{side} has no samples file (run without --log_samples?)"
    if not Path(path).is_file():
        return None, f"{side} samples file not found: {path}"
    return read_sample_values(path), None


def _matches_aggregate(samples: SampleValues, column: str, aggregate: object) -> bool:
    """True when the run's reported value is the mean of its per-sample values (so pairing them is sound)."""
    mean, value = samples.mean(column), as_number(aggregate)
    return mean is not None and value is not None and abs(mean - value) <= 1e-6 * max(1.0, abs(value))


def paired_delta(
    baseline_row: dict,
    candidate_row: dict,
    column: str,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Paired:
    """Paired bootstrap of ``candidate - baseline`` for ``column`` from both rows' samples files, when possible."""
    sides = {}
    for side, row in (("baseline", baseline_row), ("candidate", candidate_row)):
        samples, reason = _samples_of(row, side)
        if samples is None:
            return Paired(None, reason)
        if column in samples.non_scalar:
            return Paired(None, "corpus-level metric: samples log items, not per-sample scores")
        if column not in samples.values:
            return Paired(None, f"{side} did not log {column} per sample")
        if not _matches_aggregate(samples, column, row.get(column)):
            return Paired(None, f"{side}'s reported {column} is not the mean of its per-sample values")
        sides[side] = samples
    base, cand, drifted = pair(sides["baseline"], sides["candidate"], column)
    if drifted:
        return Paired(None, f"{len(drifted)} documents differ between the runs (doc_hash)", drifted)
    if not base:
        return Paired(None, "no documents in common")
    interval = paired_bootstrap(base, cand, confidence=confidence, resamples=resamples, seed=seed)
    return Paired(interval)


# Corpus metrics sacrebleu can bootstrap from the logged [reference, prediction] items (a scores-only copy keeps them).
CORPUS_BOOTSTRAP_METRICS = ("bleu", "chrf")


def write_scores_only(source: str | Path, target: Path) -> Path:
    """Copy a samples file keeping only what pairing needs: doc_id, filter, doc_hash and scalar metric values.

    Documents, prompts and references are dropped, so a baseline's per-sample scores can be committed next to a
    leaderboard CSV (and the gate can pair against it in CI) without copying benchmark data into a repository.
    Corpus-level metrics keep the model's prediction only (``{"prediction": ...}``): with the candidate's references
    (same document hashes) the gate can still bootstrap BLEU and chrF.
    """
    lines = []
    with open(source, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            record = json.loads(line)
            metrics = [m for m in record.get("metrics") or [] if as_number(record.get(m)) is not None]
            kept = {k: record.get(k) for k in ("doc_id", "filter", "doc_hash")}
            corpus = [
                m for m in CORPUS_BOOTSTRAP_METRICS if isinstance(record.get(m), dict) and "prediction" in record[m]
            ]
            kept["metrics"] = metrics + corpus
            kept.update({m: record[m] for m in metrics})
            kept.update({m: {"prediction": record[m]["prediction"]} for m in corpus})
            lines.append(json.dumps(kept, sort_keys=True) + "\n")
    atomic_write_text(target, "".join(lines))
    return target
