"""``codeeff gtranseval``: the gold self-check and the parity report.

    codeeff gtranseval check --tgt python [--json] [--limit N] [--data-dir DIR]
    codeeff gtranseval parity [--direction java2py|all] [--models codet5-full,transcoder] [--mode semantic|paper]
                              [--limit N] [--json]

``check`` runs every reference solution of a target language against its unit tests in the sandbox (exit 1 if any
fails); ``parity`` re-scores the paper's published translations of a direction and compares with its verdicts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from codeeff.formats.gtranseval import canonical_language


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codeeff gtranseval", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="run the reference solutions of a target language against their tests")
    check.add_argument("--tgt", required=True, help="python, java, cpp, javascript, csharp (py/js/cs accepted)")
    parity = sub.add_parser("parity", help="agreement with the paper's published unit-test verdicts")
    parity.add_argument(
        "--direction", default="java2py", help="SRC2TGT (py, java, cpp, js, cs) or 'all' (default java2py)"
    )
    parity.add_argument("--models", help="comma-separated model folders (default: all with verdicts for the direction)")
    parity.add_argument("--mode", choices=("semantic", "paper"), default="semantic", help="equivalence mode")
    for p in (check, parity):
        p.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
        p.add_argument("--limit", type=int, help="only the first N problems (Type order)")
        p.add_argument("--data-dir", help="data root (default: CODEEFF_DATA_DIR or the codeeff cache)")
        p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def gold_check(target: str, data_dir: str | None = None, limit: int | None = None, progress: bool = True) -> dict:
    """Run the detokenized references of ``target``; returns totals, per-Type counts and every failure with reason."""
    from codeeff.formats.gtranseval import detokenize
    from codeeff.tasks.gtranseval.harness import EXECUTABLE
    from codeeff.tasks.gtranseval.problems import load_problems
    from codeeff.tasks.gtranseval.task import run_candidates

    language = canonical_language(target)
    if language not in EXECUTABLE:
        raise SystemExit(
            f"codeeff gtranseval check: no test harness for {language} (executable targets: {', '.join(EXECUTABLE)})"
        )
    problems = load_problems(data_dir)[: limit or None]
    doc = {"target_lang": language, "source_lang": language, "task_name": f"gtranseval_check_{language}"}
    items = [(p, detokenize(p.sources[language], language), doc) for p in problems]
    outcomes = run_candidates(items, progress=progress)
    by_type: dict[int, Counter] = {}
    failures = []
    for problem, result in zip(problems, outcomes, strict=True):
        counter = by_type.setdefault(problem.type, Counter())
        counter["total"] += 1
        counter["passed"] += result["passed"]
        if not result["passed"]:
            failures.append(
                {
                    "index": problem.index,
                    "type": problem.type,
                    "id": problem.id,
                    "status": result["status"],
                    "reason": result["failure"],
                }  # fmt: skip
            )
    passed = sum(c["passed"] for c in by_type.values())
    return {
        "target": language,
        "passed": passed,
        "total": len(problems),
        "by_type": {f"type{t}": dict(c) for t, c in sorted(by_type.items())},
        "backend": outcomes[0]["backend"] if outcomes else None,
        "failures": failures,
    }


def _print_check(report: dict) -> None:
    print(f"G-TransEval gold self-check, target {report['target']} (sandbox backend: {report['backend']})")
    for name, counts in report["by_type"].items():
        print(f"  {name}: {counts['passed']}/{counts['total']}")
    print(f"  all:   {report['passed']}/{report['total']}")
    for failure in report["failures"]:
        print(
            f"  FAIL #{failure['index']} {failure['id']} (Type {failure['type']}): {failure['status']}: {failure['reason']}"
        )


def _print_parity(rows: list[dict]) -> None:
    header = f"{'direction':<10}{'mode':<9}{'model':<16}{'n':>5}{'paper CA':>10}{'codeeff CA':>12}{'agree':>8}{'agreement':>11}"
    print("Parity with G-TransEval's published unit-test verdicts")
    print(header)
    for r in rows:
        print(
            f"{r['direction']:<10}{r['mode']:<9}{r['model']:<16}{r['total']:>5}{r['paper_ca']:>10.4f}"
            f"{r['ours_ca']:>12.4f}{r['agree']:>8}{r['agreement']:>11.4f}"
        )
    for r in rows:
        for d in r["disagreements"]:
            print(f"  {r['model']} #{d['index']} {d['id']}: paper {d['paper']}, codeeff {d['codeeff']} - {d['cause']}")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    progress = not args.no_progress and not args.json
    if args.command == "check":
        report = gold_check(args.tgt, args.data_dir, args.limit, progress)
        print(json.dumps(report, indent=2)) if args.json else _print_check(report)
        return 0 if report["passed"] == report["total"] else 1
    from codeeff.tasks.gtranseval.parity import published_directions, run

    models = [m.strip() for m in args.models.split(",")] if args.models else None
    directions = published_directions(args.data_dir) if args.direction == "all" else [args.direction]
    rows = []
    for direction in directions:
        try:
            found = run(models, args.data_dir, args.limit, progress, direction=direction, mode=args.mode)
        except (ValueError, FileNotFoundError) as exc:
            print(f"codeeff gtranseval parity: {exc}", file=sys.stderr)
            return 2
        rows += [r.as_dict() for r in found]
    print(json.dumps(rows, indent=2)) if args.json else _print_parity(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
