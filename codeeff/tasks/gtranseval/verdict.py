"""The host's verdict on one executed candidate: parse the driver's records strictly, compare with expected values.

Record protocol v1 (the drivers in ``drivers/`` print it; ``/docs/gtranseval.md`` documents it): every record is one
stdout line ``@@GTE:<nonce>@@<json>``; other lines are the candidate's own output and are ignored. The JSON object
is one of ``{"id", "value"}``, ``{"id", "raised"}``, ``{"id", "refused"}`` or ``{"error", "detail"}``.

A sample passes only when the program exited 0, no error record was printed, every test id ``0..n-1`` has exactly
one record, and every record holds a value equal to the expected value (mode ``semantic`` or ``paper``, see
:mod:`.values`). A missing, duplicated, unknown-id or malformed record fails the sample; the expected values never
leave the host, so nothing the candidate prints or patches can make a wrong answer pass.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from codeeff.contracts import execution
from codeeff.tasks.gtranseval import values


class Verdict(StrEnum):
    """G-TransEval's outcome of one candidate (``exec_status_<value>`` in the task metrics)."""

    PASSED = execution.PASSED
    WRONG_ANSWER = execution.WRONG_ANSWER
    COMPILE_ERROR = execution.COMPILE_ERROR
    RUNTIME_ERROR = execution.RUNTIME_ERROR
    TIMEOUT = execution.TIMEOUT
    OTHER = execution.OTHER


# A record line is PREFIX + nonce + NONCE_END + JSON; every driver in drivers/ writes exactly these two strings
# (tests/tasks/gtranseval/test_record_marker.py checks each driver's text).
PREFIX = "@@GTE:"
NONCE_END = "@@"
RECORD_KEYS = ({"id", "value"}, {"id", "raised"}, {"id", "refused"}, {"error", "detail"})
ERRORS = {"syntax": Verdict.COMPILE_ERROR, "no_function": Verdict.COMPILE_ERROR, "load": Verdict.RUNTIME_ERROR}
SANDBOX_KINDS = {status: Verdict(kind) for status, kind in execution.SANDBOX_TO_VERDICT.items()}


MODE_ENV = "CODEEFF_GTRANSEVAL_MODE"


def equivalence_mode() -> str:
    """The equivalence mode of task runs: ``CODEEFF_GTRANSEVAL_MODE`` (``semantic`` when unset)."""
    mode = os.environ.get(MODE_ENV, "").strip() or "semantic"
    if mode not in values.MODES:
        raise ValueError(f"{MODE_ENV}={mode!r} is not an equivalence mode (known: {', '.join(values.MODES)})")
    return mode


def ca_signature(mode: str) -> str:
    """What determines a CA number: the equivalence mode, the record protocol and the driver version."""
    from codeeff.tasks.gtranseval.harness import DRIVER_VERSION, PROTOCOL

    return f"ca|mode:{mode}|protocol:{PROTOCOL}|driver:{DRIVER_VERSION}|verdict:host"


@dataclass
class Records:
    """What the driver reported: per-test records, error records and every protocol violation found."""

    tests: dict[int, dict] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def parse_records(stdout: str, nonce: str, n_tests: int) -> Records:
    """The records of ``stdout`` framed with ``nonce`` (strict: every deviation is listed in ``violations``)."""
    marker = f"{PREFIX}{nonce}{NONCE_END}"
    found = Records()
    for line in stdout.split("\n"):
        if not line.startswith(marker):
            continue
        try:
            record = json.loads(line[len(marker) :])
        except json.JSONDecodeError:
            found.violations.append("a record is not valid JSON")
            continue
        if not isinstance(record, dict) or set(record) not in RECORD_KEYS:
            found.violations.append(f"a record has keys {sorted(record) if isinstance(record, dict) else '?'}")
            continue
        if "error" in record:
            if record["error"] not in ERRORS or not isinstance(record["detail"], str):
                found.violations.append(f"unknown error record {str(record['error'])[:40]!r}")
            else:
                found.errors.append(record)
            continue
        test_id = record["id"]
        if type(test_id) is not int or not 0 <= test_id < n_tests:
            found.violations.append(f"a record names unknown test id {str(test_id)[:40]}")
            continue
        if test_id in found.tests:
            found.violations.append(f"test {test_id} has more than one record")
            continue
        problem = _check_record(record)
        if problem:
            found.violations.append(f"test {test_id}: {problem}")
            continue
        found.tests[test_id] = record
    return found


def _check_record(record: dict) -> str | None:
    if "value" in record:
        try:
            values.check_wire(record["value"])
        except values.WireError as exc:
            return str(exc)
        return None
    text = record.get("raised", record.get("refused"))
    return None if isinstance(text, str) else "exception text is not a string"


def outcome(prepared: Any, result: Any, mode: str = "semantic") -> dict[str, Any]:
    """Classify one sandbox result of a :class:`~.harness.Prepared` job into G-TransEval terms (see module doc)."""
    if mode not in values.MODES:
        raise ValueError(f"unknown equivalence mode {mode!r} (known: {', '.join(values.MODES)})")
    problem = prepared.problem
    n_tests = len(problem.tests)
    records = parse_records(result.stdout or "", prepared.nonce, n_tests)
    verdicts = _compare(records, prepared, mode)
    passed_tests = sum(1 for ok, _ in verdicts.values() if ok)
    status, failure = _classify(result, records, verdicts, n_tests)
    if mode == "paper" and getattr(prepared, "paper_failure", None):
        status, failure = Verdict.COMPILE_ERROR, prepared.paper_failure
    return {
        "passed": status is Verdict.PASSED,
        "status": status,
        "sandbox_status": result.status_label,
        "entry": prepared.entry,
        "tests_passed": passed_tests,
        "tests_total": n_tests,
        "failure": failure,
        "mode": mode,
        "wall_s": result.wall_s,
        "backend": result.backend,
    }


def _compare(records: Records, prepared: Any, mode: str) -> dict[int, tuple[bool, str]]:
    """test id -> (equal, failure text) for every test that has a record."""
    problem = prepared.problem
    out: dict[int, tuple[bool, str]] = {}
    for test_id, record in records.tests.items():
        if "value" not in record:
            what = "raised" if "raised" in record else "inputs refused"
            out[test_id] = (False, f"test {test_id}: {what}: {record.get('raised', record.get('refused'))}")
            continue
        test = problem.tests[test_id]
        try:
            equal, got, expected = values.compare(
                record["value"], test.expected, problem.return_type, prepared.language, mode
            )
        except (ValueError, OverflowError, RecursionError) as exc:  # e.g. an int of more digits than Python reads
            equal, got, expected = False, f"<unreadable value: {exc}>"[:300], str(test.expected)
        out[test_id] = (equal, f"test {test_id}: got {got[:300]} expected {expected[:300]}")
    return out


def _classify(result: Any, records: Records, verdicts: dict, n_tests: int) -> tuple[Verdict, str | None]:
    if records.errors:
        first = records.errors[0]
        return ERRORS[first["error"]], f"{first['error']}: {first['detail']}"[:1000]
    label = result.status_label
    if label != execution.PASSED:
        kind = SANDBOX_KINDS.get(label, Verdict.OTHER)
        if kind is Verdict.WRONG_ANSWER:
            kind = Verdict.RUNTIME_ERROR  # drivers never exit 3: the candidate ended the process itself
        text = (result.stderr or result.detail or "").strip()
        return kind, (f"{label}: " + text[-800:]) if text else label
    if records.violations:
        return Verdict.RUNTIME_ERROR, "malformed driver output: " + "; ".join(records.violations[:3])
    missing = [i for i in range(n_tests) if i not in records.tests]
    if missing:
        return Verdict.RUNTIME_ERROR, (
            f"no record for test {missing[0]} ({len(missing)} of {n_tests} missing): the program ended before "
            "the driver reported every test"
        )
    if any("refused" in r for r in records.tests.values()):
        first = next(i for i in range(n_tests) if "refused" in records.tests[i])
        return Verdict.COMPILE_ERROR, verdicts[first][1][:1000]
    failing = [i for i in range(n_tests) if not verdicts[i][0]]
    if not failing:
        return Verdict.PASSED, None
    raised = [i for i in failing if "raised" in records.tests[i]]
    return (Verdict.RUNTIME_ERROR if raised else Verdict.WRONG_ANSWER), verdicts[(raised or failing)[0]][1][:1000]
