"""Parity with the paper: re-score published translations and compare with the paper's per-sample verdicts.

``G-TransEval/Results`` holds models' translations (``translation_results``) and the per-sample unit-test verdicts
of G-TransEval's TestRunner (``unit_test_results/<model>/l<Type>_<src>2<tgt>.json``). Every (model, direction) with
both, for an executable target (python, java, cpp, javascript, csharp), can be re-scored with codeeff's harness in either
equivalence mode (``semantic`` or ``paper``, see :mod:`.values`); each disagreement is listed with a cause, found by
also replaying the paper's runner's known behaviours:

- ``first-function rename``: TestRunner renames the *first* function to ``testfunc``, so a helper defined before the
  entry point is called by the tests instead (it fails there, passes here);
- ``name collision``: the renaming replaces every token equal to the function name, including variables or
  attributes of that name;
- ``tuple return``: TestRunner's serializer rejects tuples (both runners fail these — listed only if they differ);
- otherwise the outcome text of our run is given (timeout, runtime error, wrong answer) for manual reading.

In mode ``semantic``, every disagreement is also re-run in mode ``paper`` (the same translation as the paper's runner
saw it) and its cause says what mode ``paper`` gives: "mode paper fails it too (<status>: <reason>)" names the paper
rule that mode ``semantic`` does not apply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from codeeff.formats.gtranseval import detokenize
from codeeff.tasks.gtranseval.problems import TYPES, Problem, load_problems

DIRECTION = "java2py"
SHORT_TO_LANGUAGE = {"py": "python", "java": "java", "cpp": "cpp", "js": "javascript", "cs": "csharp"}
EXECUTABLE_TARGETS = ("py", "java", "cpp", "js", "cs")
DELIMITER_FORMATS = {"transcoder": "***Example ends here:", "transcoder-st": "***Example ends here:"}


@dataclass
class ModelParity:
    model: str
    direction: str = DIRECTION
    mode: str = "semantic"
    total: int = 0
    paper_passed: int = 0
    ours_passed: int = 0
    agree: int = 0
    disagreements: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "direction": self.direction,
            "mode": self.mode,
            "total": self.total,
            "paper_ca": round(self.paper_passed / self.total, 4) if self.total else None,
            "ours_ca": round(self.ours_passed / self.total, 4) if self.total else None,
            "agree": self.agree,
            "agreement": round(self.agree / self.total, 4) if self.total else None,
            "disagreements": self.disagreements,
        }


def results_root(data_dir: str | Path | None = None) -> Path:
    from codeeff.data import resolve_data_dir

    return resolve_data_dir("gtranseval_results", data_dir) / "gtranseval" / "G-TransEval" / "Results"


def split_direction(direction: str) -> tuple[str, str]:
    """``"py2java"`` -> ``("python", "java")`` (G-TransEval's short names)."""
    source, _, target = direction.partition("2")
    if source not in SHORT_TO_LANGUAGE or target not in SHORT_TO_LANGUAGE or source == target:
        raise ValueError(f"unknown direction {direction!r} (form SRC2TGT with {', '.join(SHORT_TO_LANGUAGE)})")
    return SHORT_TO_LANGUAGE[source], SHORT_TO_LANGUAGE[target]


def parity_models(data_dir: str | Path | None = None, direction: str = DIRECTION) -> list[str]:
    """Models with both published translations and verdicts (all four Types) for ``direction``."""
    root = results_root(data_dir)
    found = []
    for model_dir in sorted((root / "unit_test_results").iterdir()):
        has_verdicts = all((model_dir / f"l{t}_{direction}.json").is_file() for t in TYPES)
        if has_verdicts and _translation_file(root, model_dir.name, direction).is_file():
            found.append(model_dir.name)
    return found


def published_directions(data_dir: str | Path | None = None) -> list[str]:
    """Every direction with an executable target that at least one model has published verdicts for."""
    root = results_root(data_dir) / "unit_test_results"
    names = {p.name.split("_", 1)[1].removesuffix(".json") for p in root.glob("*/l1_*.json")}
    return sorted(d for d in names if d.partition("2")[2] in EXECUTABLE_TARGETS and parity_models(data_dir, d))


def _translation_file(root: Path, model: str, direction: str = DIRECTION) -> Path:
    return root / "translation_results" / f"{model}-results" / f"{direction}.txt"


def translations(
    model: str, data_dir: str | Path | None = None, direction: str = DIRECTION, tokenized: bool = False
) -> list[str]:
    """The model's 400 translations as target-language code: tokenized files are detokenized, or with
    ``tokenized`` (mode paper, C-family targets) kept as the space-separated tokens TestRunner compiles as is."""
    target = split_direction(direction)[1]
    path = _translation_file(results_root(data_dir), model, direction)
    text = path.read_text(encoding="utf-8")
    if model in DELIMITER_FORMATS:
        marker = DELIMITER_FORMATS[model]
        chunks, current = [], []
        for line in text.split("\n"):
            if line.startswith(marker):
                chunks.append("\n".join(current).strip("\n") + "\n")
                current = []
            else:
                current.append(line)
        codes = chunks
    else:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if tokenized:
            codes = [line + "\n" for line in lines]
        else:
            codes = [detokenize(line, target) if line.strip() else "\n" for line in lines]
    if len(codes) != 400:
        raise ValueError(f"{path}: expected 400 translations, found {len(codes)}")
    return codes


def verdicts(model: str, data_dir: str | Path | None = None, direction: str = DIRECTION) -> dict[tuple[int, str], str]:
    """(Type, problem id) -> the paper's status (AllPassed, CompilationPassed, CompilationFailed)."""
    root = results_root(data_dir) / "unit_test_results" / model
    out = {}
    for type_ in TYPES:
        path = root / f"l{type_}_{direction}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        (results,) = [block["results"] for block in data.values()]
        for pid, verdict in results.items():
            out[(type_, pid)] = verdict
    return out


def paper_passed(status: str) -> bool:
    return status in ("AllPassed", "Pass")


def their_first_function(code: str) -> str | None:
    """The name TestRunner would rename: the token before the first "(" of the space-split code."""
    tokens = code.split(" ")
    for i, tok in enumerate(tokens):
        if tok.strip() == "(" and i > 0:
            return tokens[i - 1]
    return None


def explain(problem: Problem, code: str, ours: dict, paper_status: str, language: str = "python") -> str:
    """A cause for one disagreement (see the module docstring)."""
    from codeeff.tasks.gtranseval.entry import functions as list_functions

    try:
        functions = list_functions(code, language)
    except SyntaxError:
        functions = []
    first = their_first_function(code)
    chosen = ours.get("entry")
    if not paper_passed(paper_status) and ours["passed"]:
        if functions and first is not None and first.strip() != chosen:
            return (
                f"first-function rename: TestRunner tests '{first.strip()}' (first function), codeeff tests '{chosen}'"
            )
        if first is not None and sum(tok == first for tok in code.split()) > 1 + _calls(code, first):
            return f"name collision: TestRunner renames every '{first}' token, not only the function"
        if language != "python":
            from codeeff.tasks.gtranseval import paper

            reason = paper.static_failure(code, language, paper.entry(code, language))
            if reason:
                return f"paper {paper_status}, codeeff passed: {reason} (mode semantic does not apply this rule)"
            if ours.get("mode") == "semantic":
                return (
                    f"paper {paper_status}, codeeff passed: mode semantic accepts a typing or result the paper's "
                    "template/serializer rejects (long/Long, int vs double, plain objects, wider parameter types)"
                )
        return f"paper {paper_status}, codeeff passed: " + _hint(code)
    return f"paper passed, codeeff {ours['status']}: {ours.get('failure') or ''}"[:400]


def _calls(code: str, name: str) -> int:
    tokens = code.split()
    return sum(1 for i, tok in enumerate(tokens[:-1]) if tok == name and tokens[i + 1].startswith("("))


def _hint(code: str) -> str:
    if "print" in code:
        return "unexplained (prints output); TestRunner's 5 s wall limit or environment suspected"
    return "unexplained; TestRunner's 5 s wall limit (shared with process start) or environment suspected"


def run(models: list[str] | None = None, data_dir: str | Path | None = None, limit: int | None = None,
        progress: bool = True, direction: str = DIRECTION, mode: str = "semantic") -> list[ModelParity]:  # fmt: skip
    from codeeff.tasks.gtranseval.task import run_candidates

    source, target = split_direction(direction)
    problems = load_problems(data_dir)[: limit or None]
    chosen = models or parity_models(data_dir, direction)
    if not chosen:
        raise ValueError(f"no model has published translations and verdicts for {direction}")
    items, keys = [], []
    for model in chosen:
        # TestRunner runs C-family outputs as the tokens themselves ("2 . 0" is not 2.0); Python after its own reformat.
        codes = translations(model, data_dir, direction, tokenized=mode == "paper" and target != "python")
        for problem in problems:
            doc = {"target_lang": target, "source_lang": source, "task_name": "gtranseval_parity"}
            items.append((problem, codes[problem.index], doc))
            keys.append(model)
    outcomes = run_candidates(items, progress=progress, mode=mode)
    if mode == "semantic":
        paper_runs = _paper_mode_outcomes(items, keys, outcomes, data_dir, direction)
    table = {m: ModelParity(m, direction, mode) for m in chosen}
    paper = {m: verdicts(m, data_dir, direction) for m in chosen}
    for (problem, code, _), model, ours in zip(items, keys, outcomes, strict=True):
        row = table[model]
        status = paper[model][(problem.type, problem.id)]
        row.total += 1
        row.paper_passed += paper_passed(status)
        row.ours_passed += ours["passed"]
        if paper_passed(status) == ours["passed"]:
            row.agree += 1
        else:
            cause = explain(problem, code, ours, status, target)
            if mode == "semantic":
                cause = _with_paper_mode(cause, paper_runs[(model, problem.index)], status)
            row.disagreements.append(
                {
                    "index": problem.index,
                    "type": problem.type,
                    "id": problem.id,
                    "paper": status,
                    "codeeff": str(ours["status"]),
                    "cause": cause,
                }
            )
    return [table[m] for m in chosen]


def _paper_mode_outcomes(
    items: list, keys: list[str], outcomes: list[dict], data_dir: str | Path | None, direction: str
) -> dict[tuple[str, int], dict]:
    """Mode-``paper`` outcomes of the samples whose mode-``semantic`` verdict differs from the paper's."""
    from codeeff.tasks.gtranseval.task import run_candidates

    target = split_direction(direction)[1]
    published = {m: verdicts(m, data_dir, direction) for m in set(keys)}
    differing = [
        (model, problem, doc)
        for (problem, _, doc), model, ours in zip(items, keys, outcomes, strict=True)
        if paper_passed(published[model][(problem.type, problem.id)]) != ours["passed"]
    ]
    if not differing:
        return {}
    codes = {m: translations(m, data_dir, direction, tokenized=target != "python") for m in {d[0] for d in differing}}
    runs = run_candidates([(p, codes[m][p.index], doc) for m, p, doc in differing], progress=False, mode="paper")
    return {(m, p.index): run for (m, p, _), run in zip(differing, runs, strict=True)}


def _with_paper_mode(cause: str, paper_run: dict, status: str) -> str:
    """``cause`` followed by what mode ``paper`` gives for the same sample."""
    if paper_run["passed"] == paper_passed(status):
        what = "fails it too" if not paper_run["passed"] else "passes it too"
        detail = f" ({paper_run['status']}: {paper_run.get('failure') or ''})" if not paper_run["passed"] else ""
        return f"{cause} — mode paper {what}{detail}"[:700]
    return f"{cause} — mode paper disagrees too ({paper_run['status']}: {paper_run.get('failure') or ''})"[:700]
