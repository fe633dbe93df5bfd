"""``codeeff score``: re-score saved generations of any codeeff task without a model.

    codeeff score --task codexglue_line_py150 --samples out/model/samples_codexglue_line_py150_<date>.jsonl \\
        --output rescored/
    codeeff score --task codexglue_line_javacorpus --predictions predictions.txt \\
        --metadata '{"cxg_source": "jsonl", "cxg_data_file": "answers.json"}'

The logic lives in :mod:`codeeff.tasks.rescoring`; this module only parses arguments and prints.
"""

from __future__ import annotations

import argparse
import json
import sys


def _metadata(value: str) -> dict:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"--metadata must be a JSON object: {exc.msg}") from None
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError("--metadata must be a JSON object")
    return parsed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeeff score",
        description="Score saved generations (lm-eval --log_samples files, or one prediction per document) with "
        "the task's own filters, metrics and aggregations, and write a results JSON in lm-eval's layout.",
    )
    parser.add_argument("--task", required=True, help="the task the generations belong to, e.g. codexglue_line_py150")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--samples", help="an lm-eval samples_<task>_<date>.jsonl (from --log_samples / --predict_only)"
    )
    source.add_argument(
        "--predictions",
        help="one prediction per document in task order: a text file (one per line) or JSONL (strings, or objects "
        "with 'prediction'/'resps' and optional 'doc_id')",
    )
    parser.add_argument("--output", "--output_path", dest="output", help="folder for results_<date>.json + samples")
    parser.add_argument(
        "--metadata",
        type=_metadata,
        default={},
        help="task metadata as in `codeeff run --metadata` (e.g. data_dir, cxg_source); with --samples the live "
        "run's metadata is reused from its results JSON and these keys override it",
    )
    parser.add_argument("--include-defaults", action="store_true", help="also find lm-eval's built-in tasks (slower)")
    parser.add_argument(
        "--confirm_run_unsafe_code", action="store_true", help="allow tasks that execute generated code (sandboxed)"
    )
    parser.add_argument(
        "--allow-prompt-mismatch",
        action="store_true",
        help="score even when the saved prompts differ from the rebuilt task's (reported in the results)",
    )
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from lm_eval.utils import make_table, setup_logging

    from codeeff.tasks.rescoring import rescore

    setup_logging("WARNING")
    outcome = rescore(
        args.task,
        samples=args.samples,
        predictions=args.predictions,
        metadata=args.metadata,
        output=args.output,
        include_defaults=args.include_defaults,
        confirm_run_unsafe_code=args.confirm_run_unsafe_code,
        allow_prompt_mismatch=args.allow_prompt_mismatch,
    )
    print(make_table(outcome.results))
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    if outcome.results_path:
        print(f"results: {outcome.results_path}")
        for path in outcome.samples_paths:
            print(f"samples: {path}")
    return 0
