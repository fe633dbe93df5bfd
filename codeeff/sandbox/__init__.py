"""Isolated execution of untrusted (model-written) programs: Python, Java, C++, JavaScript and C# test programs.

Public API (documented in docs/sandbox.md)::

    from codeeff.sandbox import Job, Limits, run_jobs
    results = run_jobs([Job.single("python", "assert 1 + 1 == 2")])
    results[0].status  # Status.PASSED

Backends, chosen at start-up (best available, reported by ``doctor()`` and in every Result): ``bwrap`` (Linux
default: namespaces, per-slot uid, cgroup, rlimits, seccomp), ``docker`` (hardened container per job), ``process``
(rlimits only: NOT SAFE FOR HOSTILE CODE, runs only with ``allow_unsafe=True``).
"""

from codeeff.sandbox.backends import BackendInfo, doctor, ensure_usable
from codeeff.sandbox.model import (
    EXIT_COMPILE_ERROR,
    EXIT_PASSED,
    EXIT_WRONG_ANSWER,
    LANGUAGES,
    Job,
    Limits,
    Result,
    SandboxUnavailableError,
    Status,
)
from codeeff.sandbox.pool import run_jobs

__all__ = [
    "EXIT_COMPILE_ERROR",
    "EXIT_PASSED",
    "EXIT_WRONG_ANSWER",
    "LANGUAGES",
    "BackendInfo",
    "Job",
    "Limits",
    "Result",
    "SandboxUnavailableError",
    "Status",
    "doctor",
    "ensure_usable",
    "run_jobs",
]
