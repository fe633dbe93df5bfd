"""Regression rules: per metric, which direction is better, how much worse is tolerated, and what counts as proof.

Defaults cover every codeeff metric (quality: a drop of more than 2 points; cost: growth of more than 5 %), so the gate
is useful without a rules file; they are derived from each metric's direction, scale and kind in
:mod:`codeeff.contracts`. A ``RULES.toml`` overrides or adds rules::

    confidence = 0.95          # optional: bootstrap settings for the whole file
    resamples = 2000
    seed = 20240917

    [metrics.ca]
    direction = "higher"       # "higher" or "lower" is better
    max_drop = 0.02            # absolute tolerance, in the metric's own units
    # max_drop_rel = 0.05      # or relative to the baseline value (both given: the larger tolerance applies)
    require_evidence = true    # a drop counts only if the paired-bootstrap CI says so
    gate = true                # false: reported, never fails the gate
    no_interval = "report"     # when no sample-level interval exists: "report" (shown, not gated), "bootstrap"
                               # (sacrebleu paired bootstrap over the logged items: bleu, chrf), "gate" (judge the
                               # point estimate, as the aggregate rule)

    [metrics."exec_status_*"]  # glob patterns work; an exact name beats a pattern
    gate = false

Metrics without a sample-level interval: a corpus score (BLEU, chrF, CodeBLEU, bleu_cxg) is not a mean of per-sample
scores, so the per-sample bootstrap gives it no interval. By default BLEU and chrF get sacrebleu's paired bootstrap
(resampled corpus scores from the logged ``[reference, prediction]`` items); every other metric without an interval
(CodeBLEU and its parts, bleu_cxg, ROUGE-L, or any metric whose samples were not kept) is reported, not gated.

Units: CA, EM, CodeBLEU (and parts), ROUGE-L, token accuracy and pass@k are fractions in [0, 1], so "2 points" is
0.02; BLEU, chrF and edit similarity are on a 0-100 scale, so it is 2.0.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from codeeff.contracts.cost import EFFICIENCY, SAMPLE_COST, Figure
from codeeff.contracts.execution import EXEC_STATUS_PREFIX
from codeeff.contracts.metrics import FRACTION_SCALES, QUALITY, QUALITY_BY_NAME, Metric
from codeeff.contracts.records import SAMPLE_COST_PREFIX
from codeeff.leaderboard.samples import CORPUS_BOOTSTRAP_METRICS
from codeeff.leaderboard.schema import base_metric

try:  # Python >= 3.11; on 3.10 the same parser is the `tomli` package
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - depends on the interpreter
    import tomli as tomllib  # type: ignore[no-redef]


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the offending key."""


@dataclass(frozen=True)
class Rule:
    higher_is_better: bool
    max_drop: float | None = None
    max_drop_rel: float | None = None
    require_evidence: bool = True
    gate: bool = True
    # Wall-clock, throughput, memory and energy depend on the machine: only gate when both runs share one.
    machine_dependent: bool = False
    # Without a sample-level interval: "report" (not gated), "bootstrap" (corpus paired bootstrap), "gate" (point).
    no_interval: str = "report"

    def tolerance(self, baseline_value: float) -> float:
        """The allowed worsening, in metric units, for this baseline value."""
        candidates = [self.max_drop] if self.max_drop is not None else []
        if self.max_drop_rel is not None:
            candidates.append(self.max_drop_rel * abs(baseline_value))
        return max(candidates) if candidates else 0.0

    def describe(self) -> str:
        if not self.gate and self.max_drop is None and self.max_drop_rel is None:
            return "reported only"
        parts = []
        if self.max_drop is not None:
            parts.append(f"{self.max_drop:g}")
        if self.max_drop_rel is not None:
            parts.append(f"{self.max_drop_rel:.0%}")
        verb = "drop" if self.higher_is_better else "growth"
        return f"{verb} <= {' or '.join(parts) or '0'}"


def _cost(higher_is_better: bool = False, *, evidence: bool = False, machine: bool = False, gate: bool = True) -> Rule:
    return Rule(higher_is_better, max_drop_rel=0.05, require_evidence=evidence, machine_dependent=machine, gate=gate)


_INFO = Rule(higher_is_better=True, gate=False, require_evidence=False)  # shown, never judged against a tolerance


def quality_rule(metric: Metric) -> Rule:
    """A drop of more than 2 points (0.02 for a fraction, 2.0 on a 0-100 scale); a count may grow 5 %.

    BLEU and chrF have no per-sample interval but sacrebleu's paired bootstrap over the logged items gives one.
    """
    if metric.scale in FRACTION_SCALES:
        rule = Rule(metric.higher_is_better, max_drop=0.02)
    elif metric.scale == "0-100":
        rule = Rule(metric.higher_is_better, max_drop=2.0)
    else:
        rule = Rule(metric.higher_is_better, max_drop_rel=0.05)
    return replace(rule, no_interval="bootstrap") if metric.name in CORPUS_BOOTSTRAP_METRICS else rule


def efficiency_rule(figure: Figure) -> Rule:
    """Run-level figures: growth beyond 5 % (deterministic figures need no statistics, any such growth is real).

    Timings and energy are one measurement each: a 5 % swing is load noise as often as a slowdown, so they are judged
    and shown but do not fail the gate unless a rules file sets ``gate = true``. Counts are shown, not judged.
    """
    if figure.kind == "count":
        return _INFO
    noisy = figure.kind in ("time", "energy")
    return _cost(figure.higher_is_better, machine=figure.machine_dependent, gate=not noisy)


def sample_cost_rule(figure: Figure) -> Rule:
    """Per-sample cost means from codeeff tasks vary per document, so a growth must be shown by the paired samples."""
    if figure.kind == "count":
        return _INFO
    return _cost(figure.higher_is_better, evidence=True, machine=figure.machine_dependent)


DEFAULT_RULES: dict[str, Rule] = {
    **{metric.name: quality_rule(metric) for metric in QUALITY},
    # Patterns for the metrics a name family adds (pass@5, pass@10, codebleu_compat, ...).
    "pass@*": quality_rule(QUALITY_BY_NAME["pass@1"]),
    "codebleu_*": quality_rule(QUALITY_BY_NAME["codebleu"]),
    EXEC_STATUS_PREFIX + "*": _INFO,
    **{figure.name: efficiency_rule(figure) for figure in EFFICIENCY},
    **{SAMPLE_COST_PREFIX + figure.name: sample_cost_rule(figure) for figure in SAMPLE_COST},
}
NO_INTERVAL = ("report", "bootstrap", "gate")
_KEYS = {f.name for f in fields(Rule)} - {"higher_is_better"} | {"direction"}
_SETTINGS = ("confidence", "resamples", "seed")


@dataclass(frozen=True)
class RuleSet:
    rules: dict[str, Rule]
    settings: dict[str, Any]

    def for_metric(self, column: str) -> Rule | None:
        """The rule for a metric column (filters ignored): exact name first, then the longest matching pattern."""
        name = base_metric(column)
        if name in self.rules:
            return self.rules[name]
        patterns = [p for p in self.rules if any(ch in p for ch in "*?[") and fnmatch.fnmatchcase(name, p)]
        return self.rules[max(patterns, key=len)] if patterns else None


def _parse_rule(name: str, table: Any, base: Rule | None, source: str) -> Rule:
    if not isinstance(table, dict):
        raise RulesError(f"{source}: [metrics.{name}] must be a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise RulesError(f"{source}: [metrics.{name}] unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    direction = table.get("direction")
    if direction not in (None, "higher", "lower"):
        raise RulesError(f"{source}: [metrics.{name}] direction must be 'higher' or 'lower', got {direction!r}")
    if base is None and direction is None:
        raise RulesError(f"{source}: [metrics.{name}] is not a known metric; give its direction")
    changes: dict[str, Any] = {k: v for k, v in table.items() if k != "direction"}
    for key in ("max_drop", "max_drop_rel"):
        value = changes.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or value < 0):
            raise RulesError(f"{source}: [metrics.{name}] {key} must be a non-negative number, got {value!r}")
    if "no_interval" in changes and changes["no_interval"] not in NO_INTERVAL:
        raise RulesError(f"{source}: [metrics.{name}] no_interval must be one of {', '.join(NO_INTERVAL)}")
    for key in ("require_evidence", "gate", "machine_dependent"):
        if key in changes and not isinstance(changes[key], bool):
            raise RulesError(f"{source}: [metrics.{name}] {key} must be true or false")
    if direction is not None:
        changes["higher_is_better"] = direction == "higher"
    start = base or Rule(higher_is_better=direction == "higher")
    return replace(start, **changes)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Default rules, overridden by ``path`` (TOML) when given."""
    rules = dict(DEFAULT_RULES)
    settings: dict[str, Any] = {}
    if path is None:
        return RuleSet(rules, settings)
    source = str(path)
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"{source}: cannot read rules: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: invalid TOML: {exc}") from exc
    unknown = set(document) - {"metrics", *_SETTINGS}
    if unknown:
        raise RulesError(
            f"{source}: unknown top-level keys {sorted(unknown)}; allowed: metrics, {', '.join(_SETTINGS)}"
        )
    settings = {k: document[k] for k in _SETTINGS if k in document}
    for name, table in (document.get("metrics") or {}).items():
        rules[name] = _parse_rule(name, table, RuleSet(rules, {}).for_metric(name), source)
    return RuleSet(rules, settings)
