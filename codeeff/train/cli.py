"""``codeeff train exits | exit-policy | bypass | abaco``: make the trained variants (see docs/training.md)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys

# subcommand -> (module with add_arguments(parser) and run(args) -> dict, one-line help)
PRODUCERS: dict[str, tuple[str, str]] = {
    "exits": ("codeeff.train.exits", "LITE: fine-tune the shared head's exits (weighted exit losses)"),
    "exit-policy": ("codeeff.train.policy", "exit classifier or PPO exit agent from cached per-exit observations"),
    "bypass": ("codeeff.train.bypass", "attention degeneration fine-tuning on NOSE-selected layers"),
    "abaco": ("codeeff.train.abaco", "W = α·W0 + A·B with α decaying; save the low-rank factors"),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codeeff train", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the training record as JSON")
    sub = parser.add_subparsers(dest="producer", required=True, metavar="{" + ",".join(PRODUCERS) + "}")
    wanted = next((a for a in argv if a in PRODUCERS), None)
    for name, (module, help_) in PRODUCERS.items():
        child = sub.add_parser(name, help=help_, description=help_)
        if name == wanted:  # only the requested producer's module is imported (torch, peft, sb3 are slow)
            importlib.import_module(module).add_arguments(child)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    module = importlib.import_module(PRODUCERS[args.producer][0])
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the Trainer prints its logs; stdout carries only the result
            result = module.run(args)
    except (ValueError, FileNotFoundError, OSError) as err:
        print(f"codeeff train {args.producer}: error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(summary(args.producer, result))
    return 0


def summary(producer: str, result: dict) -> str:
    lines = [f"codeeff train {producer}: done"]
    cost = result.get("cost") or {}
    if cost:
        parts = [f"{cost[k]} {label}" for k, label in (("wall_s", "s"), ("steps", "steps"), ("tokens_seen", "tokens seen"))
                 if cost.get(k) is not None]  # fmt: skip
        lines.append("  " + ", ".join(parts))
    results = result.get("results") or {}
    if "table" in results:
        lines.append(results["table"])
    for key, value in (results.get("outputs") or {}).items():
        lines.append(f"  {key}: {value}")
    return "\n".join(lines)
