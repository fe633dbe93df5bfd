"""``codeeff score``: re-score saved generations of any codeeff task without a model.

    codeeff score --task codexglue_line_py150 --samples out/model/samples_codexglue_line_py150_<date>.jsonl \\
        --output rescored/
    codeeff score --task codexglue_line_javacorpus --predictions predictions.txt \\
        --metadata '{"cxg_source": "jsonl", "cxg_data_file": "answers.json"}'
    codeeff score --task gtranseval_java2python --predictions codet5-full-results/java2py.txt \\
        --predictions-format gte --confirm_run_unsafe_code
    codeeff score RUN_DIR --confirm_run_unsafe_code                  # every task of a run folder
    codeeff score RUN_DIR --shard 0/2 --output s0 ...  (and 1/2 -> s1 on another machine)
    codeeff score merge s0 s1 --output scored/

The logic lives in :mod:`codeeff.rescore.engine` and :mod:`codeeff.rescore.runs`; this module only parses arguments
and prints.
"""

from __future__ import annotations

import argparse
import json
import sys

from codeeff.rescore.saved import PREDICTION_FORMATS


def _metadata(value: str) -> dict:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"--metadata must be a JSON object: {exc.msg}") from None
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError("--metadata must be a JSON object")
    return parsed


def _shard(value: str) -> tuple[int, int]:
    try:
        index, count = (int(x) for x in value.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes i/n (e.g. 0/4), got '{value}'") from None
    if count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"--shard {value}: needs n >= 1 and 0 <= i < n")
    return index, count


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--limit takes a number of documents, got '{value}'") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"--limit must be at least 1, got {number}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeeff score",
        description="Score saved generations (a run folder, lm-eval --log_samples files, or one prediction per "
        "document) with the task's own filters, metrics and aggregations, and write a results JSON in lm-eval's "
        "layout. `codeeff score merge SHARD_DIR... --output DIR` joins the outputs of --shard runs.",
    )
    parser.add_argument(
        "run_dir", nargs="?", help="a run folder (--output_path of `codeeff run`): score every task found in it"
    )
    parser.add_argument("--task", help="the task the generations belong to, e.g. codexglue_line_py150")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--samples", help="an lm-eval samples_<task>_<date>.jsonl (from --log_samples / --predict_only)"
    )
    source.add_argument(
        "--predictions",
        help="one prediction per document in task order: a text file (one per line) or JSONL (strings, or objects "
        "with 'prediction'/'resps' and optional 'doc_id')",
    )
    parser.add_argument(
        "--predictions-format",
        choices=PREDICTION_FORMATS,
        default="raw",
        help="raw: code as written; gte: G-TransEval's tokenized one-line-per-document translations "
        "(Results/translation_results), detokenized into the target language; transcoder: raw code, each output "
        "followed by a line '***Example ends here:'",
    )
    parser.add_argument(
        "--limit", type=_positive, help="score only the first N documents (else the file must cover all of them)"
    )
    parser.add_argument("--shard", type=_shard, help="i/n: score every n-th requested document from the i-th")
    parser.add_argument(
        "--output",
        "--output_path",
        dest="output",
        help="folder for results_<date>.json + samples (default for a run folder: RUN_DIR/scored)",
    )
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


def build_merge_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeeff score merge",
        description="Join the outputs of `codeeff score ... --shard i/n` (all n of them) into the results of one "
        "unsharded scoring; the shards' per-sample metrics are aggregated, nothing is executed again.",
    )
    parser.add_argument("shard_dirs", nargs="+", help="the --output folders of the shard runs")
    parser.add_argument("--output", "--output_path", dest="output", required=True, help="folder for the results")
    parser.add_argument("--include-defaults", action="store_true", help="also find lm-eval's built-in tasks (slower)")
    return parser


def main(argv: list[str]) -> int:
    from lm_eval.utils import setup_logging

    setup_logging("WARNING")
    if argv[:1] == ["merge"]:
        from codeeff.rescore.runs import merge_shards

        margs = build_merge_parser().parse_args(argv[1:])
        return _report(merge_shards(margs.shard_dirs, margs.output, include_defaults=margs.include_defaults))
    parser = build_parser()
    args = parser.parse_args(argv)
    options = {
        "include_defaults": args.include_defaults,
        "confirm_run_unsafe_code": args.confirm_run_unsafe_code,
        "allow_prompt_mismatch": args.allow_prompt_mismatch,
    }
    if args.run_dir is not None:
        if args.task or args.samples or args.predictions:
            parser.error("a run folder is scored whole: give it without --task/--samples/--predictions")
        from codeeff.rescore.runs import score_run_dir

        outcomes = score_run_dir(
            args.run_dir, args.output, shard=args.shard, limit=args.limit, metadata=args.metadata, **options
        )
        return _report(outcomes)
    if not args.task or not (args.samples or args.predictions):
        parser.error("give a run folder, or --task with --samples or --predictions")
    from codeeff.rescore.engine import rescore

    outcome = rescore(
        args.task,
        samples=args.samples,
        predictions=args.predictions,
        metadata=args.metadata,
        output=args.output,
        predictions_format=args.predictions_format,
        limit=args.limit,
        shard=args.shard,
        **options,
    )
    return _report([outcome])


def _report(outcomes: list) -> int:
    from lm_eval.utils import make_table

    for outcome in outcomes:
        print(make_table(outcome.results))
        for note in outcome.notes:
            print(f"note: {note}", file=sys.stderr)
        if outcome.results_path:
            print(f"results: {outcome.results_path}")
            for path in outcome.samples_paths:
                print(f"samples: {path}")
    return 0
