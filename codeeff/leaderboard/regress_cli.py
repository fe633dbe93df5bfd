"""``codeeff regress --baseline (CSV|RESULTS_DIR) --candidate RESULTS_DIR [--rules RULES.toml] [--json]``.

Exit codes: 0 no regression, 1 regression, 2 cannot compare (different task versions, splits, data or metric
signatures unless ``--allow-mismatch``; no task in common; unreadable input). The human report is a table per
task (baseline, candidate, delta, paired-bootstrap interval, tolerance, method, verdict); ``--json`` prints the
same as a JSON document instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codeeff.contracts.records import REGRESS_SCHEMA
from codeeff.leaderboard.cli import add_bootstrap_arguments, bootstrap_settings
from codeeff.leaderboard.compare import (
    ALL_CHECKS,
    EXIT_CANNOT_COMPARE,
    CannotCompare,
    MetricResult,
    Report,
    compare,
    load_rows,
)
from codeeff.leaderboard.load import ResultsError
from codeeff.leaderboard.markdown import fmt
from codeeff.leaderboard.rules import RulesError, load_rules
from codeeff.leaderboard.table import BootstrapSettings, TableError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeeff regress",
        description="CI regression gate: compare a candidate run against a baseline (leaderboard CSV or results "
        "folder). Exit 0 = no regression, 1 = regression, 2 = cannot compare.",
        epilog="Example: codeeff regress --baseline leaderboards/ci-baseline.csv --candidate out/ --rules RULES.toml",
    )
    parser.add_argument(
        "--baseline",
        required=True,
        type=Path,
        metavar="CSV|RESULTS",
        help="leaderboard CSV or lm-eval results file/folder of the baseline",
    )
    parser.add_argument(
        "--candidate",
        required=True,
        type=Path,
        metavar="RESULTS",
        help="lm-eval results file/folder (or leaderboard CSV) of the candidate",
    )
    parser.add_argument(
        "--rules",
        type=Path,
        metavar="RULES.toml",
        help="per-metric rules overriding the defaults (see docs/leaderboard.md)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--baseline-variant",
        metavar="SELECTOR",
        help="which baseline row when several per task (spec hash, variant, model, model@hash)",
    )
    parser.add_argument("--candidate-variant", metavar="SELECTOR", help="which candidate row when several per task")
    parser.add_argument(
        "--allow-mismatch",
        action="append",
        default=[],
        choices=[*ALL_CHECKS, "all"],
        help="compare anyway despite this difference (repeatable): " + ", ".join(ALL_CHECKS),
    )
    add_bootstrap_arguments(parser)  # fmt: skip
    return parser


def _settings(args: argparse.Namespace, from_rules: dict) -> BootstrapSettings:
    for key in ("confidence", "resamples", "seed"):
        if getattr(args, key) is None and key in from_rules:
            setattr(args, key, from_rules[key])
    return bootstrap_settings(args)


def _interval(m: MetricResult) -> str:
    if m.ci_low is None or m.ci_high is None:
        return ""
    return f"[{fmt(m.ci_low, signed=True)}, {fmt(m.ci_high, signed=True)}]"


def _verdict_text(m: MetricResult) -> str:
    text = m.verdict.upper() if m.verdict == "regression" else m.verdict
    return text if m.gated or m.verdict in ("skipped", "no rule", "reported") else f"{text} (not gated)"


def render_text(report: Report) -> str:
    conf = f"{report.settings.confidence:.0%}"
    lines: list[str] = []
    header = ("metric", "baseline", "candidate", "delta", f"{conf} CI", "tolerance", "method", "verdict")
    for task in report.tasks:
        lines.append(f"task {task.task}: candidate {task.candidate} vs baseline {task.baseline}")
        for problem in task.problems:
            lines.append(f"  CANNOT COMPARE {problem}")
        for problem in task.allowed_problems:
            lines.append(f"  allowed mismatch {problem}")
        table = [header]
        for m in task.metrics:
            tol = f"{m.rule} ({fmt(m.tolerance)})" if m.rule and m.tolerance is not None else m.rule or ""
            table.append((m.metric, fmt(m.baseline), fmt(m.candidate), fmt(m.delta, signed=True), _interval(m), tol,
                          m.method, _verdict_text(m)))  # fmt: skip
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        for m in task.metrics:
            if m.note:
                lines.append(f"  note: {m.metric}: {m.note}")
        lines.append("")
    lines += [f"note: {n}" for n in report.notes]
    settings = report.settings
    lines.append(
        f"paired bootstrap: {settings.resamples} resamples, seed {settings.seed}, {conf} percentile intervals; "
        "a drop is a regression when the whole interval is beyond the tolerance"
    )
    count = sum(len(t.regressions) for t in report.tasks)
    suffix = f" ({count} metric(s))" if count else ""
    lines.append(f"VERDICT: {report.verdict.upper()}{suffix} -> exit {report.exit_code}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rules = load_rules(args.rules)
        settings = _settings(args, rules.settings)
        baseline_rows = load_rows(args.baseline)
        candidate_rows = load_rows(args.candidate)
        report = compare(
            baseline_rows,
            candidate_rows,
            rules,
            settings,
            baseline_selector=args.baseline_variant,
            candidate_selector=args.candidate_variant,
            allow=set(args.allow_mismatch),
        )
    except (CannotCompare, ResultsError, TableError, RulesError, ValueError) as exc:
        if args.json:
            print(json.dumps({"schema": REGRESS_SCHEMA, "verdict": "cannot compare", "exit_code": 2,
                              "error": str(exc)}, indent=2))  # fmt: skip
        print(f"codeeff regress: cannot compare: {exc}", file=sys.stderr)
        return EXIT_CANNOT_COMPARE
    print(json.dumps(report.to_dict(), indent=2) if args.json else render_text(report))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
