"""Execution vocabulary: sandbox statuses, G-TransEval verdict kinds, and the ``sandbox_error`` policy.

A sandbox run ends in one of :data:`SANDBOX_STATUSES` (``killed`` is reported with its signal, ``killed:SIGSEGV``).
G-TransEval's host verdict reduces a run to one of :data:`VERDICT_KINDS` (:data:`SANDBOX_TO_VERDICT` for the
statuses that map directly; every other status is ``other``), and tasks report the share of samples per kind as
``exec_status_<kind>``.

The ``sandbox_error`` policy: ``sandbox_error`` means the harness could not run the job, never the program's fault.
Such a sample is retried once in a fresh sandbox, never cached, excluded from the CA and pass@k denominators and
counted in ``n_sandbox_error``; signatures of execution metrics say so with :data:`SANDBOX_ERROR_SIGNATURE`.
"""

from __future__ import annotations

PASSED = "passed"
FAILED = "failed"
COMPILE_ERROR = "compile_error"
RUNTIME_ERROR = "runtime_error"
TIMEOUT = "timeout"
CPU_LIMIT = "cpu_limit"
MEMORY = "memory"
OUTPUT_LIMIT = "output_limit"
FILE_SIZE = "file_size"
KILLED = "killed"
SANDBOX_ERROR = "sandbox_error"

# Outcome classes of one sandbox run, in codeeff.sandbox.Status order.
SANDBOX_STATUSES: tuple[str, ...] = (
    PASSED,
    FAILED,
    COMPILE_ERROR,
    RUNTIME_ERROR,
    TIMEOUT,
    CPU_LIMIT,
    MEMORY,
    OUTPUT_LIMIT,
    FILE_SIZE,
    KILLED,
    SANDBOX_ERROR,
)

WRONG_ANSWER = "wrong_answer"
OTHER = "other"
# What G-TransEval reports per sample (exec_status_<kind>), in its metric_list order.
VERDICT_KINDS: tuple[str, ...] = (PASSED, WRONG_ANSWER, COMPILE_ERROR, RUNTIME_ERROR, TIMEOUT, OTHER)
# Sandbox statuses that are a verdict kind by themselves; every other status is OTHER.
SANDBOX_TO_VERDICT: dict[str, str] = {
    PASSED: PASSED,
    FAILED: WRONG_ANSWER,
    COMPILE_ERROR: COMPILE_ERROR,
    RUNTIME_ERROR: RUNTIME_ERROR,
    TIMEOUT: TIMEOUT,
    CPU_LIMIT: TIMEOUT,
}

EXEC_STATUS_PREFIX = "exec_status_"
SANDBOX_ERROR_POLICY = "excluded"
SANDBOX_ERROR_SIGNATURE = f"{SANDBOX_ERROR}:{SANDBOX_ERROR_POLICY}"


def status_value(status: object) -> str:
    """The plain status string of an enum member, a string, or a ``killed:<SIG>`` label (``killed``)."""
    value = str(getattr(status, "value", status))
    return KILLED if value.startswith(f"{KILLED}:") else value


def verdict_kind(sandbox_status: object) -> str:
    """The verdict kind a sandbox status stands for when the program's own output is not inspected."""
    return SANDBOX_TO_VERDICT.get(status_value(sandbox_status), OTHER)


def is_harness_fault(*statuses: object) -> bool:
    """Whether any of the given statuses is ``sandbox_error`` (the harness's fault: never counted against a model)."""
    return any(status is not None and status_value(status) == SANDBOX_ERROR for status in statuses)
