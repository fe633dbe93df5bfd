"""The sandbox's data model: what a job asks for (:class:`Job`, :class:`Limits`) and what came of it (:class:`Result`).

Everything here is plain, picklable data so jobs and results can cross process boundaries (worker pool) and be
stored in the on-disk cache as JSON. Statuses are a ``str`` enum so they compare equal to their names in results files.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Any

from codeeff.contracts import execution
from codeeff.contracts.languages import LANGUAGES

# Exit codes of the generated test programs: the task harnesses write programs that exit with these.
EXIT_PASSED = 0
EXIT_WRONG_ANSWER = 3
EXIT_COMPILE_ERROR = 4

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")


class SandboxUnavailableError(RuntimeError):
    """No sandbox backend that satisfies the request can run on this machine; the message says why and what to do."""


class Status(str, enum.Enum):
    """Outcome classes. ``sandbox_error`` is the harness's fault and must never be counted against a model."""

    PASSED = execution.PASSED
    FAILED = execution.FAILED
    COMPILE_ERROR = execution.COMPILE_ERROR
    RUNTIME_ERROR = execution.RUNTIME_ERROR
    TIMEOUT = execution.TIMEOUT
    CPU_LIMIT = execution.CPU_LIMIT
    MEMORY = execution.MEMORY
    OUTPUT_LIMIT = execution.OUTPUT_LIMIT
    FILE_SIZE = execution.FILE_SIZE
    KILLED = execution.KILLED  # always reported with the signal: str(result.status_label) == "killed:SIGSEGV"
    SANDBOX_ERROR = execution.SANDBOX_ERROR

    def __str__(self) -> str:
        return self.value


_SECONDS_FIELDS = ("wall_s", "cpu_s", "compile_wall_s")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run. ``None`` fields take the language's calibrated default (see ``languages.py``).

    ``compile_wall_s`` bounds compilation separately (java, cpp), so compile time never eats the test's time limit.
    """

    wall_s: float | None = None
    cpu_s: float | None = None
    memory_mb: int | None = None
    processes: int | None = None
    output_bytes: int | None = None
    file_size_mb: int | None = None
    scratch_mb: int | None = None
    compile_wall_s: float | None = None

    def __post_init__(self) -> None:
        """Every set limit is a finite number > 0 (sizes and counts whole numbers); anything else is a ValueError."""
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            whole = item.name not in _SECONDS_FIELDS
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"limit {item.name} must be a number, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"limit {item.name} must be a finite number > 0, got {value!r}")
            if whole and value != int(value):
                raise ValueError(f"limit {item.name} must be a whole number, got {value!r}")
            object.__setattr__(self, item.name, int(value) if whole else float(value))

    def merged_over(self, defaults: Limits) -> Limits:
        """These limits with every unset field taken from ``defaults``."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return Limits(**{k: (v if v is not None else getattr(defaults, k)) for k, v in values.items()})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Job:
    """One program to execute.

    ``files`` maps flat file names to their text; ``main`` is the entry file (``Main.java`` runs class ``Main``;
    for cpp all ``.cpp`` files are compiled together). Test programs follow the exit-code contract
    (0 passed, 3 wrong answer, 4 candidate does not parse). ``harness_version`` names the version of the code that
    generated the job (e.g. a task's test driver); it is part of the cache key, so a new driver never reuses results
    of an old one.
    """

    language: str
    files: dict[str, str]
    main: str
    stdin: str | None = None
    args: tuple[str, ...] = ()
    limits: Limits | None = None
    harness_version: str = ""

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"unknown language {self.language!r}; known: {', '.join(LANGUAGES)}")
        if self.main not in self.files:
            raise ValueError(f"main file {self.main!r} is not among the job's files {sorted(self.files)}")
        for name in self.files:
            if not _SAFE_NAME.match(name) or name in (".", ".."):
                raise ValueError(f"file name {name!r} is not a plain file name (letters, digits, _ . -)")
        object.__setattr__(self, "args", tuple(str(a) for a in self.args))
        if self.limits is not None and not isinstance(self.limits, Limits):
            raise ValueError(f"limits must be a Limits, got {type(self.limits).__name__}")

    @classmethod
    def single(cls, language: str, source: str, **kwargs: Any) -> Job:
        """A one-file job with the conventional file name of the language (``Main.java`` for java)."""
        name = {"python": "main.py", "java": "Main.java", "cpp": "main.cpp", "javascript": "main.js",
                "csharp": "Main.cs"}[language]  # fmt: skip
        return cls(language=language, files={name: source}, main=name, **kwargs)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "files": dict(sorted(self.files.items())),
            "main": self.main,
            "stdin": self.stdin,
            "args": list(self.args),
            "harness_version": self.harness_version,
        }


@dataclass
class Result:
    """What happened to one job. ``isolation`` lists the properties the backend achieved (see ``doctor()``).

    ``status`` ``sandbox_error`` means the harness could not run the job (never the program's fault; never cached).
    ``anomaly`` is set when the host's check of the slot after a warm run found something the job changed (the
    job's own outcome stands, the slot's server is replaced, the result is not cached).
    """

    status: Status
    exit_code: int | None = None
    signal: str | None = None
    stdout: str = ""
    stderr: str = ""
    wall_s: float | None = None
    cpu_s: float | None = None
    peak_memory_bytes: int | None = None
    backend: str = ""
    isolation: dict[str, Any] = field(default_factory=dict)
    cached: bool = False
    detail: str = ""
    compile_s: float | None = None
    anomaly: str | None = None

    @property
    def sandbox_error(self) -> bool:
        """True when the harness, not the program, failed: exclude the sample rather than count it as failed."""
        return self.status is Status.SANDBOX_ERROR

    @property
    def cacheable(self) -> bool:
        """Only outcomes the host vouched for are cached: no sandbox_error, no warm run with a slot anomaly."""
        return self.status is not Status.SANDBOX_ERROR and self.anomaly is None

    @property
    def status_label(self) -> str:
        """``killed:SIGSEGV`` for signal deaths, otherwise the status value."""
        if self.status is Status.KILLED:
            return f"killed:{self.signal or 'UNKNOWN'}"
        return self.status.value

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["status"] = self.status_label
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        data = dict(data)
        label = str(data.pop("status"))
        if label.startswith("killed:"):
            data["status"], data["signal"] = Status.KILLED, label.split(":", 1)[1]
        else:
            data["status"] = Status(label)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def canonical_hash(payload: Any) -> str:
    """sha256 of a JSON payload with sorted keys (the cache key and dedup key)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class BackendInfo:
    """A probed backend. ``isolation`` holds the properties achieved (net, pid, mount, uid, cgroup, seccomp)."""

    name: str
    available: bool
    reason: str = ""
    isolation: dict[str, Any] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
