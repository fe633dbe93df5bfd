"""Sandbox jobs for G-TransEval translations: one :class:`~codeeff.sandbox.Job` per (problem, candidate).

Each job holds a language driver (a real source file in ``drivers/``: ``driver.py``, ``driver.js``, ``Driver.java``,
``driver.cpp``), the candidate, the test *inputs* and a per-job nonce; never the expected values. The driver calls
the candidate's entry function (chosen by :mod:`.entry`, so any name works) once per test id and prints one framed
record per test with the returned value; :mod:`.verdict` parses the records on the host and compares them with the
expected values. One host module per language in ``languages/`` renders its driver.

- **python**: the candidate runs under G-TransEval's prelude (``from collections import *``, ``typing``,
  ``itertools``, ``functools``, ``math``, ``sys``) so translations that rely on it behave as in the paper.
- **javascript**: dicts are passed as ``Map`` (as G-TransEval does); plain-object answers are accepted as dicts.
- **java**: inputs are converted by reflection to the declared parameter types with Java's method-invocation rules
  for a literal of the benchmark's type (``char`` -> ``int`` widening allowed, ``double`` -> ``int`` refused;
  ``List<Integer>``/``int[]``/``Integer[]`` for ``[int]``, ``Map``/``HashMap`` for dicts).
- **cpp**: arguments are typed lvalues (``vector<T>``, ``unordered_map<K, V>``, ``string``) as in G-TransEval's
  template; scalars go through a wrapper that refuses narrowing conversions (``double`` -> ``int``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any

from codeeff.contracts.languages import LANGUAGES
from codeeff.tasks.gtranseval import entry as entry_mod
from codeeff.tasks.gtranseval.problems import Problem

EXECUTABLE = LANGUAGES  # every language has a driver
PROTOCOL = 1
STDIN_LANGUAGES = ("csharp",)  # drivers that read the nonce line and the input document from stdin
DRIVER_VERSION = "gte-driver-1.0"  # bump on any driver change: it is part of every job's files (the cache key)
NONCE_FILE = "gte_nonce"  # interpreted targets: the driver reads and deletes it before loading the candidate
NONCE_ON_STDIN = ("java", "cpp")  # compiled targets run without their job files: the nonce is stdin's first line
INPUT_FILE = "gte_input.json"
_KEY_FILE = "gtranseval-record-key"
_PROCESS_KEY = os.urandom(32)


@dataclass(frozen=True)
class Prepared:
    """A candidate ready to run: its job, the function under test and what the host needs to judge the output."""

    job: Any
    entry: str | None
    problem: Problem
    language: str
    nonce: str
    paper_failure: str | None = None  # mode paper: why the paper's template would not compile the candidate


def preferred_names(problem: Problem) -> list[str]:
    names = [problem.name]
    names += [n for n in (entry_mod.declared_name(src) for src in problem.sources.values()) if n]
    return names


def choose(problem: Problem, code: str, language: str) -> entry_mod.FunctionInfo | None:
    return entry_mod.choose_entry(
        entry_mod.functions(code, language), preferred_names(problem), len(problem.params_type)
    )


def driver_source(name: str) -> str:
    """The text of a driver file shipped in ``codeeff/tasks/gtranseval/drivers/``."""
    return resources.files("codeeff.tasks.gtranseval").joinpath("drivers", name).read_text(encoding="utf-8")


def input_document(problem: Problem, entry: Any, tests: list) -> str:
    return json.dumps({"protocol": PROTOCOL, "driver": DRIVER_VERSION, "entry": entry, "tests": tests})


def _record_key() -> bytes:
    """The host-only key the nonces are derived from (created once per cache directory, mode 0600)."""
    import tempfile

    from codeeff.data import user_cache_dir

    path = user_cache_dir() / _KEY_FILE
    for _ in range(2):
        try:
            key = bytes.fromhex(path.read_text().strip())
            if len(key) == 32:
                return key
        except (OSError, ValueError):
            pass
        try:  # publish atomically: a complete key file or none (os.link refuses an existing name)
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".key-", delete=False) as fh:
                fh.write(os.urandom(32).hex())
            try:
                os.link(fh.name, path)
            finally:
                os.unlink(fh.name)
        except FileExistsError:
            continue
        except OSError:
            break
    return _PROCESS_KEY  # no usable cache directory: a key for this process only (nonces change between runs)


def nonce_for(language: str, files: dict[str, str]) -> str:
    """A nonce the candidate cannot predict, equal for equal jobs (so cached results keep their framing)."""
    payload = json.dumps([language, sorted(files.items())], ensure_ascii=False).encode()
    return hmac.new(_record_key(), payload, hashlib.sha256).hexdigest()[:32]


def build_job(problem: Problem, code: str, language: str, limits: Any = None, mode: str = "semantic") -> Prepared:
    """The sandbox job testing ``code`` (a ``language`` translation of ``problem``) in equivalence ``mode``."""
    from codeeff.sandbox import Job
    from codeeff.tasks.gtranseval import paper
    from codeeff.tasks.gtranseval.languages import renderer

    if language not in EXECUTABLE:
        raise ValueError(f"no test harness for target language {language!r} (executable: {', '.join(EXECUTABLE)})")
    paper_failure = None
    if mode == "paper":
        chosen = paper.entry(code, language)
        paper_failure = paper.static_failure(code, language, chosen)
    else:
        try:
            chosen = choose(problem, code, language)
        except SyntaxError:
            chosen = None  # the Python driver reports the syntax error itself, with line and message
    files, main = renderer(language)(problem, code, chosen, mode)
    entry = chosen and chosen.name
    nonce = nonce_for(language, files)
    if language in STDIN_LANGUAGES:  # the nonce line, then the input document (the job's files reach only mcs)
        job = Job(
            language,
            files,
            main,
            stdin=nonce + "\n" + files.pop(INPUT_FILE),
            limits=limits,
            harness_version=DRIVER_VERSION,
        )
    elif language in NONCE_ON_STDIN:
        job = Job(language, files, main, stdin=nonce + "\n", limits=limits, harness_version=DRIVER_VERSION)
    else:
        job = Job(language, {**files, NONCE_FILE: nonce + "\n"}, main, limits=limits, harness_version=DRIVER_VERSION)
    return Prepared(job, entry, problem, language, nonce, paper_failure)
