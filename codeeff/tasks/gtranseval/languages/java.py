"""Java target: ``drivers/Driver.java`` (as ``Main.java``) calls the entry of ``Candidate.java`` by reflection.

The candidate's top-level types are kept; loose members (a model that writes only methods) are wrapped in
``class Solution``; a class named ``Main`` is renamed ``CandidateMain`` (the driver is ``Main``).
"""

from __future__ import annotations

import json
import re

from codeeff.tasks.gtranseval import entry as entry_mod
from codeeff.tasks.gtranseval import harness, values
from codeeff.tasks.gtranseval.problems import Problem

IMPORTS = "import java.util.*;\nimport java.util.function.*;\nimport java.util.stream.*;\nimport java.math.*;\n"

_JAVA_TOP_LEVEL_TYPE = re.compile(
    r"^\s*(?:(?:public|private|protected|abstract|final|static)\s+)*(?:class|interface|enum|record)\s+([A-Za-z_$][\w$]*)"
)


def split_top_level(code: str) -> list[tuple[str, str]]:
    """Split C-family code into top-level items: ("import", text), ("type", text) or ("member", text)."""
    masked = entry_mod.strip_comments_and_strings(code)
    items: list[tuple[str, str]] = []
    depth, start = 0, 0
    for i, ch in enumerate(masked):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                rest = masked[i + 1 :].lstrip()
                if not rest.startswith(";"):
                    items.append(_classify(code[start : i + 1], masked[start : i + 1]))
                    start = i + 1
        elif ch == ";" and depth == 0:
            items.append(_classify(code[start : i + 1], masked[start : i + 1]))
            start = i + 1
    if code[start:].strip():
        items.append(_classify(code[start:], masked[start:]))
    return [item for item in items if item[1].strip()]


def _classify(text: str, masked: str) -> tuple[str, str]:
    head = masked.strip()
    if re.match(r"(?:import|package|using|#include|#define|#pragma)\b", head):
        return "import", text.strip()
    if _JAVA_TOP_LEVEL_TYPE.match(masked) or re.match(r"(?:template\s*<[^>]*>\s*)?(?:class|struct)\b", head):
        return "type", text.strip()
    return "member", text.strip()


def candidate_source(code: str) -> tuple[str, str]:
    """``(Candidate.java text, class holding loose members)`` for a candidate's code."""
    code = re.sub(r"\bMain\b", "CandidateMain", code)
    imports, types, members = [], [], []
    for kind, text in split_top_level(code):
        if kind == "import":
            if not text.startswith("package"):
                imports.append(text)
        elif kind == "type":
            types.append(re.sub(r"^\s*public\s+", "", text))
        else:
            members.append(text)
    source = IMPORTS + "\n".join(imports) + "\n\n" + "\n\n".join(types)
    if members:
        source += "\n\nclass Solution {\n" + "\n\n".join(members) + "\n}\n"
    return source, "Solution"


def render(problem: Problem, code: str, chosen: entry_mod.FunctionInfo | None, mode: str) -> tuple[dict[str, str], str]:
    source, loose_owner = candidate_source(code)
    entry = None
    if chosen is not None:
        entry = {"owner": chosen.owner or loose_owner, "name": chosen.name}
    tests = values.wire_tests(problem)
    document = harness.input_document(problem, entry, tests)
    document = (
        document[:-1] + ', "types": ' + _json(list(problem.params_type)) + f', "paper": {_json(mode == "paper")}}}'
    )
    files = {
        "Main.java": harness.driver_source("Driver.java"),
        "Candidate.java": source,
        "GteInput.java": holder(document),
    }
    return files, "Main.java"


def holder(document: str) -> str:
    """``GteInput.json()`` returning ``document`` (in chunks: a class-file string constant holds <= 65535 bytes)."""
    chunks = [document[i : i + 8000] for i in range(0, len(document), 8000)] or [""]
    parts = "\n".join(f"    sb.append({json.dumps(chunk)});" for chunk in chunks)
    return f"final class GteInput {{\n  static String json() {{\n    StringBuilder sb = new StringBuilder();\n{parts}\n    return sb.toString();\n  }}\n}}\n"


def _json(value: object) -> str:
    return json.dumps(value)
