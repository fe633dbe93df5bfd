"""``codeeff leaderboard RESULTS_PATH... -o leaderboards/NAME.csv [--baseline VARIANT] [--md] [--plot]``.

Reads lm-eval output (results files, model folders or whole ``--output_path`` trees), merges one row per
(model, variant spec hash, task) into the CSV (creating it, or updating rows already there), recomputes deltas
against the baseline with paired-bootstrap intervals, and optionally writes ``NAME.md`` and Pareto PNGs beside it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from codeeff.leaderboard.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED, MIN_RESAMPLES
from codeeff.leaderboard.files import atomic_write_text
from codeeff.leaderboard.load import ResultsError, load_task_runs
from codeeff.leaderboard.markdown import render
from codeeff.leaderboard.samples import write_scores_only
from codeeff.leaderboard.schema import build_row, row_key
from codeeff.leaderboard.table import (
    BootstrapSettings,
    TableError,
    apply_deltas,
    baselines_of,
    merge,
    read_csv,
    row_label,
    write_csv,
)


def add_bootstrap_arguments(parser: argparse.ArgumentParser) -> None:
    """Bootstrap options shared by ``leaderboard`` and ``regress`` (same defaults, so their intervals agree)."""
    parser.add_argument(
        "--confidence",
        type=float,
        default=None,
        help=f"confidence level of the paired-bootstrap intervals (default {DEFAULT_CONFIDENCE})",
    )
    parser.add_argument(
        "--resamples",
        type=int,
        default=None,
        help=f"bootstrap resamples, >= {MIN_RESAMPLES} (default {DEFAULT_RESAMPLES})",
    )
    parser.add_argument("--seed", type=int, default=None, help=f"bootstrap seed (default {DEFAULT_SEED})")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeeff leaderboard",
        description="Turn lm-eval results directories of codeeff runs into a leaderboard CSV "
        "(one row per model, variant spec hash and task), optionally Markdown and Pareto plots.",
        epilog="Example: codeeff leaderboard runs/ -o leaderboards/py150.csv --baseline dense --md --plot",
    )
    parser.add_argument(
        "results",
        nargs="+",
        metavar="RESULTS_PATH",
        help="results_*.json files or folders searched recursively (lm-eval --output_path)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="CSV",
        help="leaderboard CSV to create or update (rows with the same identity are replaced)",
    )
    parser.add_argument(
        "--baseline",
        metavar="VARIANT",
        help="baseline row per task: spec hash (or >=4-char prefix), variant summary, model, or "
        "model@hash; default: the baseline the CSV already uses",
    )
    parser.add_argument("--md", action="store_true", help="also write NAME.md (one Markdown table per task)")
    parser.add_argument(
        "--plot", action="store_true", help="also write NAME.<task>.pareto-{flops,energy}.png (quality vs cost)"
    )
    parser.add_argument(
        "--html",
        action="store_true",
        help="also write NAME.html: one static page, sortable headline table, signatures on hover, plots embedded",
    )
    parser.add_argument(
        "--plot-metric",
        metavar="METRIC",
        help="quality metric on the plots' y axis (default: the first reported of ca, pass@1, "
        "exact_match_cxg, exact_match, edit_similarity, codebleu, bleu_cxg, bleu, chrf; else the first metric)",
    )
    parser.add_argument(
        "--keep-samples",
        action="store_true",
        help="copy each new row's per-sample scores (doc ids, hashes, scalar metrics; no documents or "
        "generations) to NAME.samples/ so the CSV stays pairable after the run folders are gone",
    )
    add_bootstrap_arguments(parser)  # fmt: skip
    return parser


def _keep_samples(rows: list[dict], folder: Path) -> None:
    """Point rows at scores-only copies of their samples files inside ``folder`` (see ``write_scores_only``).

    The results file is forgotten: it stays behind with the run folder, whose path (lm-eval names it after the
    model's local path) would be a machine path in a committed CSV."""
    for row in rows:
        row["results_file"] = None
        if row.get("samples_file"):
            name = re.sub(r"[^A-Za-z0-9_.@-]+", "_", f"{row['task']}--{row_label(row)}") + ".jsonl"
            row["samples_file"] = str(write_scores_only(row["samples_file"], folder / name))


def bootstrap_settings(args: argparse.Namespace) -> BootstrapSettings:
    settings = BootstrapSettings(
        confidence=DEFAULT_CONFIDENCE if args.confidence is None else args.confidence,
        resamples=DEFAULT_RESAMPLES if args.resamples is None else args.resamples,
        seed=DEFAULT_SEED if args.seed is None else args.seed,
    )
    if not 0 < settings.confidence < 1:
        raise ValueError(f"--confidence must be between 0 and 1, got {settings.confidence}")
    if settings.resamples < MIN_RESAMPLES:
        raise ValueError(f"--resamples must be at least {MIN_RESAMPLES}, got {settings.resamples}")
    return settings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = bootstrap_settings(args)
        if args.output.suffix.lower() != ".csv":
            raise ValueError(f"-o must name a .csv file, got {args.output}")
        new_rows = [build_row(run) for run in load_task_runs(args.results)]
        if args.keep_samples:
            _keep_samples(new_rows, args.output.with_suffix(".samples"))
        existing = read_csv(args.output) if args.output.exists() else []
        rows = merge(existing, new_rows)
        warnings = apply_deltas(rows, args.baseline, settings, previous=baselines_of(existing))
        write_csv(rows, args.output)
    except (ResultsError, TableError, ValueError) as exc:
        print(f"codeeff leaderboard: error: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"codeeff leaderboard: warning: {warning}", file=sys.stderr)
    updated = len({row_key(r) for r in new_rows} & {row_key(r) for r in existing})
    print(f"{args.output}: {len(rows)} rows ({len(new_rows)} read, {updated} updated in place)")
    stem = args.output.with_suffix("")
    if args.md:
        md_path = stem.with_name(f"{stem.name}.md")  # not with_suffix: NAME may contain dots
        atomic_write_text(md_path, render(rows, title=f"Leaderboard: {stem.name}", quality=args.plot_metric))
        print(f"{md_path}: Markdown")
    if args.plot or args.html:
        _plots_and_page(rows, stem, args)
    return 0


def _plots_and_page(rows: list[dict], stem: Path, args: argparse.Namespace) -> None:
    """PNGs beside the CSV with ``--plot``; with ``--html`` only, the plots are drawn in a temporary folder and
    exist only inside the page."""
    import tempfile

    from codeeff.leaderboard.plot import write_plots

    with tempfile.TemporaryDirectory() as scratch:
        plot_stem = stem if args.plot else Path(scratch) / stem.name
        written, skipped = write_plots(rows, plot_stem, args.plot_metric)
        if args.plot:
            for path in written:
                print(f"{path}: plot")
        for reason in skipped:
            print(f"codeeff leaderboard: note: {reason}", file=sys.stderr)
        if args.html:
            from codeeff.leaderboard.html import render_html

            html_path = stem.with_name(f"{stem.name}.html")
            page = render_html(rows, f"Leaderboard: {stem.name}", written, quality=args.plot_metric)
            atomic_write_text(html_path, page)
            print(f"{html_path}: HTML")


if __name__ == "__main__":
    sys.exit(main())
