"""Every driver frames its records with verdict.py's marker (``PREFIX`` + nonce + ``NONCE_END``) and nothing else.

The drivers are real source files (each compiles or runs on its own), so the marker is written in each language's
own literal; this test ties every one of those literals to the single definition in :mod:`.verdict`.
"""

from __future__ import annotations

import json
import re

import pytest

from codeeff.tasks.gtranseval import verdict
from codeeff.tasks.gtranseval.harness import driver_source
from codeeff.tasks.gtranseval.languages import cpp

DRIVERS = ("driver.py", "driver.js", "Driver.java", "driver.cpp", "GteDriver.cs")
PLACEHOLDERS = {"driver.cpp": (cpp.CANDIDATE_LINE.strip(), cpp.TESTS_LINE.strip())}


def _literal(text: str) -> str:
    """``text`` as a double-quoted literal of these languages (JSON escapes are theirs too for these characters)."""
    return json.dumps(text)


@pytest.mark.parametrize("name", DRIVERS)
def test_the_driver_writes_verdicts_record_marker(name):
    source = driver_source(name)
    head, tail = _literal("\n" + verdict.PREFIX), _literal(verdict.NONCE_END)
    assert source.count(head) == 1, f"{name} does not open its records with {head}"
    assert re.search(re.escape(tail) + r"\s*\+", source), f"{name} does not close the nonce with {tail}"
    rest = source.replace(head, "").replace(tail, "")
    for placeholder in PLACEHOLDERS.get(name, ()):
        assert rest.count(placeholder) == 1, f"{name} lacks the placeholder {placeholder}"
        rest = rest.replace(placeholder, "")
    assert "@@" not in rest, f"{name} has another '@@' marker: {rest[rest.index('@@') - 40 :][:80]!r}"


def test_a_record_line_round_trips_through_the_parser():
    nonce = "0123456789abcdef0123456789abcdef"
    line = f"\n{verdict.PREFIX}{nonce}{verdict.NONCE_END}" + json.dumps({"id": 0, "value": ["int", "1", "int"]})
    found = verdict.parse_records(line + "\n", nonce, 1)
    assert found.violations == [] and list(found.tests) == [0]
