"""Metric vocabulary: every metric name a codeeff task reports, with its direction and scale.

``higher_is_better`` is what task YAMLs declare in their ``metric_list``, what the metric registry reports and what
the regression gate's default rules judge by; ``tests/contracts`` checks all three against this module.
``scale``: ``0-1`` (a fraction), ``0/1`` (a per-sample indicator whose mean is a fraction), ``0-100`` (sacrebleu and
CodeXGLUE scores) or a unit (``chars``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codeeff.contracts.cost import EFFICIENCY_BY_NAME, SAMPLE_COST_BY_NAME
from codeeff.contracts.execution import EXEC_STATUS_PREFIX, PASSED, SANDBOX_STATUSES, VERDICT_KINDS


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    scale: str
    # False: reported by some tool (the metrics CLI) but not a fixed leaderboard column.
    leaderboard_column: bool = True


FRACTION_SCALES = ("0-1", "0/1")
GTRANSEVAL_TYPES = (1, 2, 3, 4)

# Quality metrics, in the leaderboard's column order.
QUALITY: tuple[Metric, ...] = (
    Metric("ca", True, "0-1"),
    *(Metric(f"ca_type{t}", True, "0-1") for t in GTRANSEVAL_TYPES),
    Metric("pass@1", True, "0-1"),
    Metric("codebleu", True, "0-1"),
    Metric("codebleu_ngram", True, "0-1"),
    Metric("codebleu_weighted_ngram", True, "0-1"),
    Metric("codebleu_syntax", True, "0-1"),
    Metric("codebleu_dataflow", True, "0-1"),
    Metric("bleu", True, "0-100"),
    Metric("bleu_cxg", True, "0-100"),
    Metric("chrf", True, "0-100"),
    Metric("rougeL", True, "0-1"),
    Metric("rougeL_code", True, "0-1"),
    Metric("exact_match", True, "0-1"),
    Metric("exact_match_cxg", True, "0/1"),
    Metric("exact_match_plain", True, "0/1"),
    Metric("edit_similarity", True, "0-100"),
    Metric("levenshtein_distance", False, "chars"),
    Metric("token_accuracy", True, "0-1"),
    Metric("codebleu_compat", True, "0-1", leaderboard_column=False),
)
QUALITY_METRICS: tuple[str, ...] = tuple(m.name for m in QUALITY if m.leaderboard_column)

# Bookkeeping metrics tasks report beside quality and cost.
AUXILIARY: tuple[Metric, ...] = (
    Metric("n_samples", True, "samples"),
    Metric("n_sandbox_error", False, "samples"),
    Metric("compile_rate", True, "0-1"),
    Metric("status", True, "0-1"),
)

QUALITY_BY_NAME: dict[str, Metric] = {m.name: m for m in QUALITY}
AUXILIARY_BY_NAME: dict[str, Metric] = {m.name: m for m in AUXILIARY}
_PASS_AT = re.compile(r"pass@(\d+)")


def pass_at_name(k: int) -> str:
    return f"pass@{k}"


def exec_status_metric(status: str) -> str:
    """The per-status indicator metric of an execution status or verdict kind (``exec_status_<status>``)."""
    if status not in SANDBOX_STATUSES and status not in VERDICT_KINDS:
        raise ValueError(f"unknown execution status {status!r}")
    return EXEC_STATUS_PREFIX + status


def higher_is_better(name: str) -> bool:
    """Direction of any metric or cost figure codeeff reports (``KeyError`` for a name nobody defined)."""
    for table in (QUALITY_BY_NAME, AUXILIARY_BY_NAME, SAMPLE_COST_BY_NAME, EFFICIENCY_BY_NAME):
        if name in table:
            return table[name].higher_is_better
    if _PASS_AT.fullmatch(name):
        return True
    if name.startswith(EXEC_STATUS_PREFIX):
        status = name.removeprefix(EXEC_STATUS_PREFIX)
        if status in SANDBOX_STATUSES or status in VERDICT_KINDS:
            return status == PASSED
    raise KeyError(f"{name!r} is not a metric of codeeff's contract (codeeff.contracts)")
