"""`codeeff metrics`: score a predictions file against a references file (one sample per line in both).

Examples::

    codeeff metrics --metric codebleu,bleu_cxg,exact_match_plain --lang java --refs refs.txt --preds preds.txt
    codeeff metrics --metric all --lang python --refs-format cxg --refs gt.txt --preds model_out.txt --json

``--refs-format`` says how the references are written: ``raw`` code (used as is), ``cxg`` (CodeXGLUE tokens: the raw
predictions are re-tokenized the same way, so the comparison happens in CodeXGLUE token space, as CodeXGLUE's own
evaluators do) or ``gte`` (G-TransEval tokens: references are detokenized to raw code by G-TransEval's detokenizer).
A line holds one sample, so write newlines inside a sample as the format does (``<EOL>``, ``NEW_LINE``) or as ``\\n``
with ``--unescape``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from codeeff.metrics import registry

REFS_FORMATS = ("raw", "cxg", "gte")


class UsageError(ValueError):
    """Bad input: reported as one line on stderr with exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codeeff metrics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--metric", required=True, help=f"comma-separated names or 'all': {', '.join(registry.metrics())}"
    )
    parser.add_argument("--lang", required=True, help="language of the code (python, java, cpp, javascript, c_sharp)")
    parser.add_argument("--refs", required=True, type=Path, help="references, one per line")
    parser.add_argument("--preds", required=True, type=Path, help="predictions, one per line")
    parser.add_argument("--refs-format", choices=REFS_FORMATS, default="raw", help="how references are written")
    parser.add_argument("--unescape", action="store_true", help=r"turn '\n' and '\t' escapes in lines into characters")
    parser.add_argument("--data-dir", default=None, help="codeeff data dir (for CodeXGLUE literals.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    return parser


def read_lines(path: Path, unescape: bool = False) -> list[str]:
    """One sample per line (``\\n`` only, so form feeds and other Unicode breaks inside code stay in the sample)."""
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text: {exc}") from exc
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if unescape:
        lines = [line.replace("\\n", "\n").replace("\\t", "\t") for line in lines]
    return lines


def parse_metric_names(value: str) -> list[str]:
    known = registry.metrics()
    names = list(known) if value.strip() == "all" else [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UsageError(f"unknown metric(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(known)}, all")
    return names


def _check_language(names: list[str], language: str, refs_format: str) -> str:
    from codeeff.formats import codexglue
    from codeeff.metrics import code_bleu

    try:
        if refs_format == "cxg":
            codexglue.normalize_language(language)
        if any(n.startswith("codebleu") for n in names):
            language = code_bleu.normalize_language(language)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return language


def prepare_pairs(
    refs: list[str], preds: list[str], language: str, refs_format: str, data_dir: str | None
) -> tuple[list[str], list[str]]:
    """Bring references and predictions into the same representation (see the module docstring)."""
    if refs_format == "cxg":
        from codeeff.formats import codexglue as cxg

        literals = cxg.load_literals(language, data_dir)
        return refs, [cxg.retokenize(p, language, literals) for p in preds]
    if refs_format == "gte":
        from codeeff.formats.gtranseval import detokenize

        return [detokenize(r, language) for r in refs], preds
    return refs, preds


def score(names: list[str], refs: list[str], preds: list[str], language: str) -> dict:
    corpus, samples = (
        registry.corpus_scores(names, predictions=preds, references=refs, language=language),
        [{} for _ in refs],
    )
    for name in names:
        spec = registry.get(name)
        for row, value in zip(
            samples, spec.per_sample(predictions=preds, references=refs, language=language), strict=True
        ):
            row[name] = value
    return {
        "n": len(refs),
        "corpus": corpus,
        "samples": samples,
        "signatures": {name: registry.signature(name) for name in names},
    }


def _fmt(value: float | None) -> str:
    return "null" if value is None else f"{value:.4f}"


def render_text(report: dict) -> str:
    names = list(report["corpus"])
    width = max(len(n) for n in names)
    lines = [f"{report['n']} pairs, language {report['language']}, references {report['refs_format']}", ""]
    lines += [f"{name:<{width}}  {_fmt(report['corpus'][name])}" for name in names]
    lines += ["", "per sample (tab-separated):", "\t".join(["#", *names])]
    lines += ["\t".join([str(i), *(_fmt(row[n]) for n in names)]) for i, row in enumerate(report["samples"])]
    lines += ["", "signatures:"] + [f"  {sig}" for sig in report["signatures"].values()]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict:
    names = parse_metric_names(args.metric)
    language = _check_language(names, args.lang, args.refs_format)
    refs, preds = read_lines(args.refs, args.unescape), read_lines(args.preds, args.unescape)
    if len(refs) != len(preds):
        raise UsageError(f"{args.refs} has {len(refs)} lines but {args.preds} has {len(preds)}: one sample per line")
    if not refs:
        raise UsageError(f"{args.refs} is empty: nothing to score")
    refs, preds = prepare_pairs(refs, preds, language, args.refs_format, args.data_dir)
    report = score(names, refs, preds, language)
    return {"language": language, "refs_format": args.refs_format, **report}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    from codeeff.data import DataNotFoundError

    try:
        report = run(args)
    except (UsageError, FileNotFoundError, DataNotFoundError) as exc:
        print(f"codeeff metrics: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else render_text(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
