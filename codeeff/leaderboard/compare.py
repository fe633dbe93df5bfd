"""The regression gate's engine: is the candidate worse than the baseline, beyond tolerance, with evidence?

For each task both sides ran, it first checks the two rows are comparable at all (task version, few-shot count, data
split and source, generation settings, metric signatures, and per-document hashes); any mismatch makes the verdict
"cannot compare" unless the user allowed that mismatch. Then, per metric with a rule: with per-sample values on both
sides a paired bootstrap interval decides (a drop is a regression only if the whole interval is beyond the tolerance;
a point estimate beyond it with an interval that is not is "inconclusive"); without them the aggregate values are
compared against the tolerance directly, and the report says so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codeeff.contracts.records import BASELINE_COLUMN, REGRESS_SCHEMA
from codeeff.leaderboard.load import load_task_runs
from codeeff.leaderboard.rules import Rule, RuleSet
from codeeff.leaderboard.samples import paired_delta
from codeeff.leaderboard.schema import as_number, build_row, cost_metric_columns_of, metric_columns_of
from codeeff.leaderboard.table import BootstrapSettings, Row, merge, read_csv, row_label, select

EXIT_OK, EXIT_REGRESSION, EXIT_CANNOT_COMPARE = 0, 1, 2
# Comparability checks: name -> (row column, what differs). A check is skipped when either side did not record it.
CHECKS: dict[str, tuple[str, str]] = {
    "version": ("task_version", "task version"),
    "nshot": ("n_shot", "number of few-shot examples"),
    "split": ("split", "data split"),
    "dataset": ("dataset", "dataset source"),
    "data": ("data_sha256", "dataset file digest"),
    "gen_kwargs": ("gen_kwargs", "generation settings"),
}
ALL_CHECKS = (*CHECKS, "signature", "docs")


class CannotCompare(ValueError):
    """The two sides cannot be compared at all (no common task, ambiguous rows); exit code 2."""


@dataclass
class MetricResult:
    metric: str
    baseline: float | None
    candidate: float | None
    delta: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    paired_n: int | None = None
    tolerance: float | None = None
    rule: str | None = None
    method: str = "aggregate"  # "paired-bootstrap" | "aggregate" | "-"
    verdict: str = "ok"  # ok | improved | regression | inconclusive | skipped | reported | no rule
    gated: bool = True
    note: str | None = None


@dataclass
class TaskReport:
    task: str
    baseline: str
    candidate: str
    problems: list[str] = field(default_factory=list)
    allowed_problems: list[str] = field(default_factory=list)
    metrics: list[MetricResult] = field(default_factory=list)

    @property
    def regressions(self) -> list[MetricResult]:
        return [m for m in self.metrics if m.verdict == "regression" and m.gated]


@dataclass
class Report:
    tasks: list[TaskReport]
    notes: list[str]
    settings: BootstrapSettings

    @property
    def exit_code(self) -> int:
        if not self.tasks or any(t.problems for t in self.tasks):
            return EXIT_CANNOT_COMPARE
        return EXIT_REGRESSION if any(t.regressions for t in self.tasks) else EXIT_OK

    @property
    def verdict(self) -> str:
        return {EXIT_OK: "no regression", EXIT_REGRESSION: "regression", EXIT_CANNOT_COMPARE: "cannot compare"}[
            self.exit_code
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": REGRESS_SCHEMA,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "bootstrap": asdict(self.settings),
            "notes": self.notes,
            "tasks": [asdict(t) | {"regressions": [m.metric for m in t.regressions]} for t in self.tasks],
        }


def load_rows(path: str | Path) -> list[Row]:
    """Rows of one side: a leaderboard CSV, or results files/folders (same identity -> latest run)."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".csv":
        return read_csv(path)
    return merge([], [build_row(run) for run in load_task_runs([path])])


def pick(rows: list[Row], task: str, selector: str | None, side: str) -> Row:
    """The one row of ``task`` on one side: by selector, else the CSV's own baseline, else the only row."""
    candidates = [r for r in rows if r.get("task") == task]
    if selector:
        candidates = select(candidates, selector, task)
    elif len(candidates) > 1:
        marked = [r for r in candidates if r.get(BASELINE_COLUMN) == row_label(r)]
        candidates = marked or candidates
    if len(candidates) != 1:
        names = ", ".join(sorted(row_label(r) for r in candidates)) or "none"
        flag = "--baseline-variant" if side == "baseline" else "--candidate-variant"
        raise CannotCompare(f"{side}: {len(candidates)} rows for task {task} ({names}); choose one with {flag}")
    return candidates[0]


def comparability_problems(base: Row, cand: Row) -> list[str]:
    """Why the two rows must not be compared (empty when they may)."""
    problems = []
    for check, (column, what) in CHECKS.items():
        left, right = base.get(column), cand.get(column)
        if left is None or right is None:
            continue
        numbers = as_number(left), as_number(right)  # CSV "1" and JSON 1.0 are the same version
        same = numbers[0] == numbers[1] if None not in numbers else str(left) == str(right)
        if not same:
            problems.append(f"[{check}] {what} differs: baseline {left} vs candidate {right}")
    left_sigs = json.loads(base["metric_signatures"]) if base.get("metric_signatures") else {}
    right_sigs = json.loads(cand["metric_signatures"]) if cand.get("metric_signatures") else {}
    for metric in sorted(set(left_sigs) & set(right_sigs)):
        if left_sigs[metric] != right_sigs[metric]:
            problems.append(
                f"[signature] metric {metric} computed differently: baseline {left_sigs[metric]!r} vs "
                f"candidate {right_sigs[metric]!r}"
            )
    return problems


class _DocsDiffer(Exception):
    """Raised from a metric's pairing when the two runs' documents differ (a comparability problem, not a verdict)."""


def _same_machine(base: Row, cand: Row) -> bool:
    return all(base.get(k) is not None and base.get(k) == cand.get(k) for k in ("env_fingerprint", "device"))


def _judge(worsening: float, w_low: float | None, w_high: float | None, tolerance: float) -> str:
    if w_low is not None and w_high is not None:
        if w_low > tolerance:
            return "regression"
        if worsening > tolerance:
            return "inconclusive"
        return "improved" if w_high < 0 else "ok"
    if worsening > tolerance:
        return "regression"
    return "improved" if worsening < 0 else "ok"


def evaluate_metric(
    metric: str, rule: Rule | None, base: Row, cand: Row, settings: BootstrapSettings
) -> MetricResult | None:
    """The verdict for one metric (None when neither side reported it)."""
    b, c = as_number(base.get(metric)), as_number(cand.get(metric))
    if b is None and c is None:
        return None
    result = MetricResult(metric, b, c, None if b is None or c is None else c - b)
    if b is None or c is None:
        result.method, result.verdict, result.gated = "-", "skipped", False
        result.note = f"not reported by the {'baseline' if b is None else 'candidate'}"
        return result
    if rule is None:
        result.method, result.verdict, result.gated = "-", "no rule", False
        return result
    result.rule, result.gated = rule.describe(), rule.gate
    if rule.max_drop is None and rule.max_drop_rel is None:  # informational metric: shown, never judged
        result.method, result.verdict = "-", "reported"
        return result
    result.tolerance = rule.tolerance(b)
    if rule.machine_dependent and not _same_machine(base, cand):
        result.method, result.verdict, result.gated = "-", "skipped", False
        result.note = "machine-dependent figure measured on different machines/devices (env fingerprint differs)"
        return result
    sign = 1.0 if rule.higher_is_better else -1.0
    w_low = w_high = None
    if rule.require_evidence:
        paired = paired_delta(
            base, cand, metric, confidence=settings.confidence, resamples=settings.resamples, seed=settings.seed
        )
        if paired.drifted_docs:
            raise _DocsDiffer(paired.reason or "documents differ")
        if paired.interval is not None:
            iv = paired.interval
            result.method = "paired-bootstrap"
            result.ci_low, result.ci_high, result.paired_n = iv.low, iv.high, iv.n
            w_low, w_high = sorted((-sign * iv.low, -sign * iv.high))
            if iv.n < max(as_number(base.get("n_samples")) or 0, as_number(cand.get("n_samples")) or 0):
                result.delta = iv.delta  # judge the documents both scored, consistently with the interval
                result.note = f"paired on the {iv.n} documents both runs scored (delta over those)"
        else:
            w_low, w_high = _without_sample_interval(result, rule, base, cand, settings, paired.reason)
    worsening = -sign * (result.delta or 0.0)
    result.verdict = _judge(worsening, w_low, w_high, result.tolerance)
    return result


def _without_sample_interval(
    result: MetricResult, rule: Rule, base: Row, cand: Row, settings: BootstrapSettings, reason: str | None
) -> tuple[float | None, float | None]:
    """No per-sample interval: the rule's ``no_interval`` decides (corpus bootstrap, point estimate, or report)."""
    why = reason or "no per-sample scores"
    if rule.no_interval == "bootstrap":
        from codeeff.leaderboard.corpus_bootstrap import corpus_paired_bootstrap

        iv, how = corpus_paired_bootstrap(base, cand, result.metric, confidence=settings.confidence,
                                          resamples=settings.resamples, seed=settings.seed)  # fmt: skip
        if iv is not None:
            result.method, result.delta = "corpus-paired-bootstrap", iv.delta
            result.ci_low, result.ci_high, result.paired_n = iv.low, iv.high, iv.n
            result.note = f"{how} over {iv.n} documents (corpus-level metric)"
            sign = 1.0 if rule.higher_is_better else -1.0
            low, high = sorted((-sign * iv.low, -sign * iv.high))
            return low, high
        why = how
    if rule.no_interval == "gate":
        result.note = f'no interval ({why}); point estimate judged (rules: no_interval = "gate")'
    else:
        result.gated = False
        result.note = f"no interval ({why}); reported, not gated (rules: no_interval)"
    return None, None


def compare_task(
    task: str, base: Row, cand: Row, rules: RuleSet, settings: BootstrapSettings, allow: set[str]
) -> TaskReport:
    report = TaskReport(task, row_label(base), row_label(cand))
    for problem in comparability_problems(base, cand):
        check = problem[1 : problem.index("]")]
        (report.allowed_problems if check in allow or "all" in allow else report.problems).append(problem)
    columns = {k for k in base} | {k for k in cand}
    for metric in [*metric_columns_of(columns), *cost_metric_columns_of(columns)]:
        try:
            result = evaluate_metric(metric, rules.for_metric(metric), base, cand, settings)
        except _DocsDiffer as exc:
            problem = f"[docs] {exc}: the runs did not see the same documents"
            target = report.allowed_problems if {"docs", "all"} & allow else report.problems
            if problem not in target:
                target.append(problem)
            continue
        if result is not None:
            report.metrics.append(result)
    return report


def compare(
    baseline_rows: list[Row],
    candidate_rows: list[Row],
    rules: RuleSet,
    settings: BootstrapSettings,
    *,
    baseline_selector: str | None = None,
    candidate_selector: str | None = None,
    allow: set[str] | None = None,
) -> Report:
    """Compare every task both sides have; raises :class:`CannotCompare` when no task is shared."""
    base_tasks = {str(r.get("task")) for r in baseline_rows}
    cand_tasks = {str(r.get("task")) for r in candidate_rows}
    common = sorted(base_tasks & cand_tasks)
    if not common:
        raise CannotCompare(
            f"no task in common: baseline has {sorted(base_tasks) or 'none'}, candidate has {sorted(cand_tasks) or 'none'}"
        )
    notes = [f"task {t} only in the baseline: not compared" for t in sorted(base_tasks - cand_tasks)]
    notes += [f"task {t} only in the candidate: not compared" for t in sorted(cand_tasks - base_tasks)]
    reports = []
    for task in common:
        base = pick(baseline_rows, task, baseline_selector, "baseline")
        cand = pick(candidate_rows, task, candidate_selector, "candidate")
        reports.append(compare_task(task, base, cand, rules, settings, allow or set()))
    return Report(reports, notes, settings)
