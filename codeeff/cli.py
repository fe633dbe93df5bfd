"""The ``codeeff`` command: lm-eval's CLI with codeeff's models and tasks loaded, plus codeeff's own subcommands.

lm-eval 0.4.13 has no plugin entry points, so a plain ``lm_eval --model codeeff-hf`` cannot see our model and our
tasks are only found through ``--include_path``. This wrapper (1) registers our models as lazy placeholders after
lm-eval's built-ins (:func:`codeeff.register_models`: no torch until a model is built); (2) prepends our task folder
to ``--include_path`` while keeping the user's own (from the flag or from a ``--config`` YAML); (3) hands everything
else to lm-eval unchanged. Our own subcommands are looked up in :data:`SUBCOMMANDS` and imported lazily, so
``codeeff ls`` does not pay for torch.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys
from collections.abc import Sequence

from codeeff import register_models

# name -> (module with `main(argv) -> int`, one-line help). Names must not shadow lm-eval's (run, ls, validate).
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "data": ("codeeff.data_cli", "where benchmark data comes from: show, fetch, verify"),
    "sandbox": ("codeeff.sandbox.cli", "isolated execution of untrusted programs: doctor, exec"),
    "metrics": ("codeeff.metrics.cli", "score prediction files with codeeff's code metrics"),
    "gtranseval": ("codeeff.tasks.gtranseval.cli", "G-TransEval tools: gold self-check, parity with the paper"),
    "factorize": ("codeeff.model_adapters.factorize.cli", "compute a factorized variant once; save spec + factors"),
    "score": ("codeeff.rescore.cli", "re-score saved generations (samples JSONL or predictions) without a model"),
    "leaderboard": ("codeeff.leaderboard.cli", "results directories -> leaderboard CSV / Markdown / Pareto plot"),
    "regress": ("codeeff.leaderboard.regress_cli", "CI regression gate: candidate results vs a baseline"),
    "bench": ("codeeff.bench.cli", "benchmarks against their anchors (sandbox, metrics, adapters, all)"),
    "train": ("codeeff.train.cli", "train the variants that need training: exits, exit-policy, bypass, abaco"),
    "demo": ("codeeff.demo", "the end-to-end demo on SmolLM2-135M (baseline + compressed variants)"),
}
LM_EVAL_SUBCOMMANDS = ("run", "ls", "validate")
# Subcommands whose execution builds models or tasks (and so need our models registered and our preflight).
_MODEL_SUBCOMMANDS = ("run", "validate")


def _user_include_paths(args: argparse.Namespace) -> list[str]:
    """The include paths the user asked for, from ``--include_path`` or else from the ``--config`` YAML."""
    value = getattr(args, "include_path", None)
    if value is None and getattr(args, "config", None):
        import yaml

        try:
            with open(args.config) as fh:
                value = (yaml.safe_load(fh) or {}).get("include_path")
        except OSError:
            value = None  # lm-eval reports the unreadable config itself
    if value is None:
        return []
    return [str(p) for p in value] if isinstance(value, list | tuple) else [str(value)]


def skip_builtin_task_index() -> None:
    """Make lm-eval's TaskManager index only the include paths in this process.

    Indexing lm-eval's ~14k built-in YAMLs costs ~17 s per run; when every requested task is codeeff's, the built-ins
    cannot change what the run does, so the ``codeeff`` command skips them.
    """
    from lm_eval.tasks import manager

    original = manager.TaskManager.__init__
    if getattr(original, "_codeeff_no_defaults", False):
        return

    @functools.wraps(original)
    def init(self, verbosity=None, include_path=None, include_defaults=True, metadata=None):
        original(self, verbosity=verbosity, include_path=include_path, include_defaults=False, metadata=metadata)

    init._codeeff_no_defaults = True  # type: ignore[attr-defined]
    manager.TaskManager.__init__ = init


def _build_lm_eval_parser():
    from lm_eval._cli import HarnessCLI

    harness = HarnessCLI()
    harness._parser.prog = "codeeff"
    lines = [f"  {name:<12} {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    harness._parser.epilog = (
        "codeeff subcommands (in addition to lm-eval's run / ls / validate):\n"
        + "\n".join(lines)
        + "\n\n`codeeff SUBCOMMAND --help` for each. codeeff's tasks are always on the include path.\n"
    )
    return harness


def _run_lm_eval(argv: Sequence[str]) -> int:
    from lm_eval.utils import setup_logging

    from codeeff.tasks import only_codeeff_tasks, preflight, tasks_dir

    setup_logging()
    harness = _build_lm_eval_parser()
    sys.argv = ["codeeff", *argv]
    args = harness.parse_args()
    command = getattr(args, "command", None)
    if command in LM_EVAL_SUBCOMMANDS and hasattr(args, "include_path"):
        args.include_path = [str(tasks_dir()), *_user_include_paths(args)]
    if command in _MODEL_SUBCOMMANDS:
        register_models()  # idempotent: `import codeeff` registered them already
        if only_codeeff_tasks(getattr(args, "tasks", None)):
            skip_builtin_task_index()
    if command == "run":
        from codeeff.messages import install_once_per_run_filters

        install_once_per_run_filters()
        preflight(args)
        from codeeff.results_hook import install as install_results_hook

        install_results_hook()
    harness.execute(args)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            module = importlib.import_module(SUBCOMMANDS[argv[0]][0])
            return int(module.main(argv[1:]) or 0)
        return _run_lm_eval(argv)
    except KeyboardInterrupt:
        print("codeeff: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # argparse and lm-eval exit this way; keep their code
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        from codeeff.messages import error_line

        print(error_line(str(exc.code)), file=sys.stderr)
        return 1
    except Exception as exc:  # one clear line for users; CODEEFF_DEBUG=1 shows the traceback
        if os.environ.get("CODEEFF_DEBUG"):
            raise
        from codeeff.messages import error_line

        print(error_line(exc), file=sys.stderr)
        return 2


def console_main() -> None:
    sys.exit(main())
