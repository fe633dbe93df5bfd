"""`codeeff data`: show where each dataset resolves to, fetch it into the user cache, verify its hashes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codeeff.data import (
    DATASET_MARKERS,
    DataNotFoundError,
    default_cache_data_dir,
    fetch_dataset,
    resolve_data_dir,
    verify_dataset,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codeeff data", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    show = sub.add_parser("show", help="where each dataset resolves (explicit dir > CODEEFF_DATA_DIR > user cache)")
    show.add_argument("--data-dir", default=None)
    show.add_argument("--json", action="store_true")
    fetch = sub.add_parser("fetch", help="download datasets into the user cache (pinned commits, sha256-verified)")
    fetch.add_argument("datasets", nargs="*", default=sorted(DATASET_MARKERS), choices=sorted(DATASET_MARKERS))
    verify = sub.add_parser("verify", help="check every file of a dataset against its pinned sha256")
    verify.add_argument("datasets", nargs="*", default=sorted(DATASET_MARKERS), choices=sorted(DATASET_MARKERS))
    verify.add_argument("--data-dir", default=None)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.action == "show":
        report = {}
        for dataset in sorted(DATASET_MARKERS):
            try:
                report[dataset] = {"path": str(resolve_data_dir(dataset, args.data_dir, download=False))}
            except DataNotFoundError as exc:
                report[dataset] = {"path": None, "reason": str(exc).splitlines()[1].strip(" -")}
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            for dataset, info in report.items():
                print(f"{dataset:<20} {info['path'] or 'not found: ' + info['reason']}")
        return 0
    if args.action == "fetch":
        for dataset in args.datasets:
            print(f"{dataset}: {fetch_dataset(dataset, default_cache_data_dir())}")
        return 0
    failures = 0
    for dataset in args.datasets:
        root = resolve_data_dir(dataset, args.data_dir, download=False)
        bad = verify_dataset(dataset, Path(root))
        failures += len(bad)
        print(f"{dataset}: {root}: {'ok' if not bad else f'{len(bad)} files missing or changed'}")
        for path in bad[:20]:
            print(f"  {path}")
    return 1 if failures else 0
