"""Parity for the directions into C#: re-score the paper's published ``*2cs`` translations, compare with its verdicts.

Every (model, direction) of ``G-TransEval/Results`` with both translations (``translation_results/<model>-results/
<src>2cs.txt``, one tokenized translation per line, fed to TestRunner as is) and verdicts for the four Types
(``unit_test_results/<model>/l<Type>_<src>2cs.json``) is run through codeeff's C# driver in ``paper`` mode (or
``semantic``). The paper's three statuses are compared too: ``AllPassed`` = passed, ``CompilationPassed`` = the
program ran to its end with a wrong answer, ``CompilationFailed`` = anything else (compile error, an exception in any
test, timeout). Each pass/fail disagreement gets a cause from :func:`explain`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from codeeff.tasks.gtranseval.parity import results_root
from codeeff.tasks.gtranseval.problems import TYPES, Problem, load_problems

SOURCES = ("java", "cpp", "js", "py")
SOURCE_LANGUAGES = {"java": "java", "cpp": "cpp", "js": "javascript", "py": "python"}
PAPER_STATUS = {"passed": "AllPassed", "wrong_answer": "CompilationPassed"}  # everything else: CompilationFailed


@dataclass
class DirectionParity:
    model: str
    direction: str
    total: int = 0
    paper_passed: int = 0
    ours_passed: int = 0
    agree: int = 0
    status_agree: int = 0
    disagreements: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        def ratio(n: int) -> float | None:
            return round(n / self.total, 4) if self.total else None

        return {
            "model": self.model,
            "direction": self.direction,
            "total": self.total,
            "paper_ca": ratio(self.paper_passed),
            "ours_ca": ratio(self.ours_passed),
            "agree": self.agree,
            "agreement": ratio(self.agree),
            "status_agreement": ratio(self.status_agree),
            "disagreements": self.disagreements,
        }


def pairs(data_dir: str | Path | None = None) -> list[tuple[str, str]]:
    """(model, direction) with published translations and verdicts of all four Types, e.g. ("codet5-full", "java2cs")."""
    root = results_root(data_dir)
    found = []
    for model_dir in sorted((root / "unit_test_results").iterdir()):
        for source in SOURCES:
            direction = f"{source}2cs"
            has_verdicts = all((model_dir / f"l{t}_{direction}.json").is_file() for t in TYPES)
            translations = root / "translation_results" / f"{model_dir.name}-results" / f"{direction}.txt"
            if has_verdicts and translations.is_file():
                found.append((model_dir.name, direction))
    return found


def translations(model: str, direction: str, data_dir: str | Path | None = None) -> list[str]:
    path = results_root(data_dir) / "translation_results" / f"{model}-results" / f"{direction}.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != 400:
        raise ValueError(f"{path}: expected 400 translations, found {len(lines)}")
    return lines


def verdicts(model: str, direction: str, data_dir: str | Path | None = None) -> dict[tuple[int, str], str]:
    """(Type, problem id) -> the paper's status (AllPassed / CompilationPassed / CompilationFailed)."""
    root = results_root(data_dir) / "unit_test_results" / model
    out = {}
    for type_ in TYPES:
        data = json.loads((root / f"l{type_}_{direction}.json").read_text(encoding="utf-8"))
        for pid, verdict in data["csharp"]["results"].items():
            out[(type_, pid)] = verdict
    return out


# C# 8+ syntax and .NET Core APIs that Mono's mcs (C# 7, .NET Framework 4.x class library) does not have.
_NEWER_CSHARP = {
    "index from end (^n, C# 8)": re.compile(r"\[\s*\^"),
    "range (a..b, C# 8)": re.compile(r"\[[^\]]*\.\.[^\]]*\]"),
    "switch expression (C# 8)": re.compile(r"\bswitch\s*\{"),
    "target-typed new() (C# 9)": re.compile(r"\bnew\s*\(\s*\)"),
    "is not / and / or patterns (C# 9)": re.compile(r"\bis\s+not\b"),
}


def their_first_function(code: str) -> str | None:
    """The name TestRunner renames to ``testfunc``: the token before the first ``(`` of the space-split code."""
    tokens = code.split(" ")
    for i, tok in enumerate(tokens):
        if tok.strip() == "(" and i > 0:
            return tokens[i - 1]
    return None


def explain(problem: Problem, code: str, ours: dict, paper_status: str) -> str:
    """A cause for one pass/fail disagreement."""
    failure = ours.get("failure") or ""
    for what, pattern in _NEWER_CSHARP.items():
        if pattern.search(code):
            return f"newer C# than mcs compiles: {what}"
    if ours["status"] == "compile_error" and "does not contain a definition" in failure:
        return "a .NET Core API missing from Mono's class library: " + failure.split("error", 1)[-1][:160]
    if ours["status"] == "compile_error" and "inputs refused" in failure:
        return "argument typing: " + failure[:200]
    name = their_first_function(code)
    if name is not None and ours.get("entry") not in (None, name):
        return f"first-function rename: TestRunner tests {name!r}, codeeff tests {ours.get('entry')!r}"
    if paper_status == "AllPassed":
        return f"paper passes, codeeff {ours['status']}: {failure[:240]}"
    return f"paper {paper_status}, codeeff passes (TestRunner's 5 s limit includes dotnet-script start-up)"


def run(
    selected: list[tuple[str, str]] | None = None,
    data_dir: str | Path | None = None,
    limit: int | None = None,
    mode: str = "paper",
    progress: bool = True,
) -> list[DirectionParity]:
    from codeeff.tasks.gtranseval.task import run_candidates

    problems = load_problems(data_dir)[: limit or None]
    chosen = selected or pairs(data_dir)
    items, keys = [], []
    for model, direction in chosen:
        codes = translations(model, direction, data_dir)
        source = SOURCE_LANGUAGES[direction.split("2")[0]]
        for problem in problems:
            doc = {"target_lang": "csharp", "source_lang": source, "task_name": "gtranseval_parity_csharp"}
            items.append((problem, codes[problem.index], doc))
            keys.append((model, direction))
    outcomes = run_candidates(items, progress=progress, mode=mode)
    table = {key: DirectionParity(*key) for key in chosen}
    paper = {key: verdicts(*key, data_dir) for key in chosen}
    for (problem, code, _), key, ours in zip(items, keys, outcomes, strict=True):
        row = table[key]
        status = paper[key][(problem.type, problem.id)]
        passed_paper = status == "AllPassed"
        row.total += 1
        row.paper_passed += passed_paper
        row.ours_passed += ours["passed"]
        row.agree += passed_paper == ours["passed"]
        row.status_agree += status == PAPER_STATUS.get(ours["status"], "CompilationFailed")
        if passed_paper != ours["passed"]:
            row.disagreements.append(
                {
                    "index": problem.index,
                    "type": problem.type,
                    "id": problem.id,
                    "paper": status,
                    "codeeff": ours["status"],
                    "cause": explain(problem, code, ours, status),
                }
            )
    return [table[key] for key in chosen]


def cause_counts(rows: list[DirectionParity]) -> Counter:
    """Disagreements per cause family (the text before the first colon)."""
    return Counter(d["cause"].split(":")[0] for row in rows for d in row.disagreements)
