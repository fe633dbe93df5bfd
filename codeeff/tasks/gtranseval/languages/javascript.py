"""JavaScript target: ``drivers/driver.js`` evaluates ``candidate.js`` and calls the entry on ``gte_input.json``."""

from __future__ import annotations

from codeeff.tasks.gtranseval import harness, values
from codeeff.tasks.gtranseval.entry import FunctionInfo
from codeeff.tasks.gtranseval.problems import Problem


def render(problem: Problem, code: str, chosen: FunctionInfo | None, mode: str) -> tuple[dict[str, str], str]:
    expression = None
    if chosen is not None:
        expression = chosen.name if chosen.owner is None else f"{chosen.owner}.{chosen.name}"
        if chosen.owner is not None and not chosen.is_static:
            expression = f"((o) => o.{chosen.name}.bind(o))(new {chosen.owner}())"
    tests = values.wire_tests(problem)
    files = {
        "main.js": harness.driver_source("driver.js"),
        "candidate.js": code,
        harness.INPUT_FILE: harness.input_document(problem, expression, tests),
    }
    return files, "main.js"
