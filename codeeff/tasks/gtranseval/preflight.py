"""Checks that must fail BEFORE lm-eval loads a model for a G-TransEval run.

lm-eval checks ``--confirm_run_unsafe_code`` only after building the model and the tasks, and a missing sandbox would
only show up after generation, when the filter executes the answers: hours of GPU time lost. Called by
:func:`codeeff.tasks.preflight` for runs whose tasks match ``gtranseval_*`` (or a tag covering them).
"""

from __future__ import annotations

import argparse

from codeeff.tasks.gtranseval.task import sandbox_settings


class PreflightError(RuntimeError):
    """A G-TransEval run cannot proceed; the message says what to do."""


def _requested(args: argparse.Namespace) -> list[str]:
    tasks = getattr(args, "tasks", None)
    names = tasks.split(",") if isinstance(tasks, str) else list(tasks or [])
    return [n.strip() for n in names if n and n.strip()]


def may_target_csharp(args: argparse.Namespace) -> bool:
    """Whether the run can include a direction into C# (an explicit ``..2csharp`` task, a wildcard or a tag)."""
    for name in _requested(args):
        explicit = name.startswith("gtranseval_") and not any(ch in name for ch in "*?[")
        if not explicit or name.split("2", 1)[-1].startswith("csharp"):
            return True
    return False


def check(patterns: set[str] | list[str], args: argparse.Namespace) -> None:
    """Require ``--confirm_run_unsafe_code``, a usable sandbox backend and, when a direction into C# may run, Mono
    (raises :class:`PreflightError`). Every G-TransEval task executes its translations.

    A ``--predict_only`` run never executes code (execution happens when a sample is scored, and such a run scores
    nothing), so it needs none of these: the confirmation lm-eval demands for tasks marked ``unsafe_code`` is given
    on the user's behalf, and no sandbox is looked for. ``codeeff score`` later executes, and asks then.
    """
    if getattr(args, "predict_only", False):
        args.confirm_run_unsafe_code = True
        return
    if not getattr(args, "confirm_run_unsafe_code", False):
        raise PreflightError(
            "G-TransEval tasks execute the model's translations against unit tests, so lm-eval requires "
            "--confirm_run_unsafe_code. codeeff runs them in its sandbox (see `codeeff sandbox doctor`); add the flag "
            "to confirm. (Checked now, before the model loads: lm-eval itself would only refuse after building the "
            "model and the tasks.)"
        )
    from codeeff.sandbox import SandboxUnavailableError, ensure_usable
    from codeeff.sandbox.csharp import mono_available

    if may_target_csharp(args) and (missing := mono_available()) is not None:
        raise PreflightError(f"G-TransEval directions into C# compile and run the translations with Mono: {missing}")

    settings = sandbox_settings()
    try:
        ensure_usable(settings["backend"], allow_unsafe=settings["allow_unsafe"])
    except SandboxUnavailableError as exc:
        raise PreflightError(
            f"G-TransEval needs a sandbox to run the translations' unit tests, and none is usable: {exc} "
            "(backend choice: CODEEFF_SANDBOX_BACKEND=auto|bwrap|docker|process; the unsafe process fallback also "
            "needs CODEEFF_SANDBOX_ALLOW_UNSAFE=1)"
        ) from None
