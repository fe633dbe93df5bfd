"""Python target: ``drivers/driver.py`` runs ``candidate.py`` (as is) on the inputs of ``gte_input.json``."""

from __future__ import annotations

from codeeff.tasks.gtranseval import harness, values
from codeeff.tasks.gtranseval.entry import FunctionInfo
from codeeff.tasks.gtranseval.problems import Problem


def render(problem: Problem, code: str, chosen: FunctionInfo | None, mode: str) -> tuple[dict[str, str], str]:
    entry = None if chosen is None else {"name": chosen.name, "owner": chosen.owner, "static": chosen.is_static}
    tests = values.wire_tests(problem)
    files = {
        "main.py": harness.driver_source("driver.py"),
        "candidate.py": code,
        harness.INPUT_FILE: harness.input_document(problem, entry, tests),
    }
    return files, "main.py"
