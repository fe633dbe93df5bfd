"""`codeeff bench {sandbox,metrics,adapters,all} [--json] [--output PREFIX]`."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from codeeff.environment import fingerprint

AREAS = ("sandbox", "metrics", "adapters")
EXTRA_AREAS = ("train",)  # run only when named: they train models (not part of `all`)


def _area_module(area: str):
    return importlib.import_module(f"codeeff.bench.{area}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codeeff bench", description=__doc__)
    sub = parser.add_subparsers(dest="area", required=True)
    for area in (*AREAS, *EXTRA_AREAS):
        sub.add_parser(area, help=f"the {area} benchmark", add_help=False)
    _add_common(sub.add_parser("all", help="every benchmark, one JSON report plus a Markdown summary"))
    return parser


def _parse(argv: list[str]) -> argparse.Namespace:
    """Two passes so only the chosen area's module is imported (each pulls in its own heavy libraries)."""
    parser = build_parser()
    args, _ = parser.parse_known_args(argv)
    if args.area == "all":
        return parser.parse_args(argv)
    area_parser = argparse.ArgumentParser(prog=f"codeeff bench {args.area}")
    _add_common(area_parser)
    _area_module(args.area).add_arguments(area_parser)
    area_args = area_parser.parse_args([a for a in argv if a != args.area])
    area_args.area = args.area
    return area_args


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    parser.add_argument("--output", default=None, help="also write PREFIX.json (and PREFIX.md for `all`)")


def _defaults_for(area: str, common: argparse.Namespace) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _area_module(area).add_arguments(parser)
    args = parser.parse_args([])
    args.json = common.json
    return args


def _scalar_rows(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        rows: list[tuple[str, Any]] = []
        for key, inner in value.items():
            rows.extend(_scalar_rows(f"{prefix}.{key}" if prefix else str(key), inner))
        return rows
    if isinstance(value, int | float | str | bool) or value is None:
        return [(prefix, value)]
    return []


def summary_markdown(report: dict[str, Any]) -> str:
    """A short Markdown summary: each area's ``summary`` block (headline ratios against the anchors)."""
    env = report["environment"]
    lines = [
        f"Benchmarks of {report['date']} on {env.get('cpu_model')} ({env.get('cpu_count')} cores, "
        f"fingerprint {env.get('hash')}); total {report['wall_s']:.0f} s.",
        "",
        "| benchmark | figure | value |",
        "|---|---|---|",
    ]
    for area in AREAS:
        result = report["results"].get(area) or {}
        if "error" in result:
            lines.append(f"| {area} | error | {result['error']} |")
            continue
        for key, value in _scalar_rows("", result.get("summary", {})):
            shown = f"{value:.4g}" if isinstance(value, float) else value
            lines.append(f"| {area} | {key} | {shown} |")
    return "\n".join(lines) + "\n"


def _write(prefix: str, report: dict[str, Any], markdown: str | None) -> None:
    target = Path(prefix)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str) + "\n")
    os.replace(tmp, target.with_suffix(".json"))
    if markdown is not None:
        target.with_suffix(".md").write_text(markdown)


def main(argv: list[str]) -> int:
    args = _parse(argv)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": fingerprint(),
        "results": {},
    }
    if args.area == "all":
        for area in AREAS:
            print(f"[bench] {area} ...", file=sys.stderr, flush=True)
            try:
                report["results"][area] = _area_module(area).run(_defaults_for(area, args))
            except Exception as exc:  # one failing area must not hide the others' numbers
                report["results"][area] = {"error": f"{exc.__class__.__name__}: {exc}"}
    else:
        report["results"][args.area] = _area_module(args.area).run(args)
    report["wall_s"] = time.perf_counter() - started
    markdown = summary_markdown(report) if args.area == "all" else None
    if args.output:
        _write(args.output, report, markdown)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    elif markdown:
        print(markdown)
    else:
        print(json.dumps(report["results"][args.area].get("summary", report["results"][args.area]), indent=2))
    failed = [a for a, r in report["results"].items() if "error" in r]
    return 1 if failed else 0
