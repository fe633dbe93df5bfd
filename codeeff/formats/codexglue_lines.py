"""CodeXGLUE's definitions of "one line" over its code tokens.

CodeXGLUE's line-level README: Python (PY150) — the tokens up to the first ``<EOL>`` (excluded); Java (JavaCorpus) —
up to the first ``;`` or ``}`` (included) or ``{`` (excluded). The official test sets were cut that way (their sample
``answers.json`` row 4755 stops before a ``{``). The UniXcoder line *dev* sets we ship for CI were cut differently
for Java: their 3,000 references never stop at ``{`` (1,398 of them contain one, e.g. ``this . strict == null ) {
this . strict = ... ;``) and all end with ``;`` or ``}``. The rule therefore belongs to the data source, travels in
every document (``line_rule``) and is applied both when rebuilding references and when cutting model output.
"""

from __future__ import annotations

from enum import Enum

EOL = "<EOL>"
FILE_END = "</s>"


class LineRule(str, Enum):
    """How a line ends, in CodeXGLUE tokens."""

    PYTHON_EOL = "python_eol"  # up to the first <EOL>, excluded (PY150, all sources)
    JAVA_CXG = "java_cxg"  # up to the first ; or } (included) or { (excluded): CodeXGLUE's official test sets
    JAVA_SEMI_CLOSE = "java_semi_close"  # up to the first ; or } (included); { does not end a line: UniXcoder dev


# The rule each source's references were cut with (see the module docstring for the evidence).
DEFAULT_RULES: dict[tuple[str, str], LineRule] = {
    ("python", "dev"): LineRule.PYTHON_EOL,
    ("python", "official"): LineRule.PYTHON_EOL,
    ("python", "hf"): LineRule.PYTHON_EOL,
    ("python", "jsonl"): LineRule.PYTHON_EOL,
    ("java", "dev"): LineRule.JAVA_SEMI_CLOSE,
    ("java", "official"): LineRule.JAVA_CXG,
    ("java", "hf"): LineRule.JAVA_CXG,
    ("java", "jsonl"): LineRule.JAVA_CXG,
}


def rule_for(language: str, source: str, override: str | None = None) -> LineRule:
    """The line rule of a source, or the user's explicit ``override`` (a :class:`LineRule` value)."""
    if override:
        try:
            rule = LineRule(override)
        except ValueError:
            known = ", ".join(r.value for r in LineRule)
            raise ValueError(f"unknown line rule '{override}'; known: {known}") from None
        if (rule is LineRule.PYTHON_EOL) != (language == "python"):
            raise ValueError(f"line rule '{override}' does not apply to {language}")
        return rule
    return DEFAULT_RULES[(language, source)]


def cut_line(tokens: list[str], rule: LineRule | str) -> tuple[list[str], bool]:
    """The first line of ``tokens`` under ``rule`` and whether its end was actually seen.

    ``False`` means the tokens ran out (or reached ``</s>``) before a line end: the line may be incomplete.
    """
    rule = LineRule(rule)
    line: list[str] = []
    for token in tokens:
        if token == FILE_END:
            return line, True
        if rule is LineRule.PYTHON_EOL:
            if token == EOL:
                return line, True
            line.append(token)
            continue
        if token == "{" and rule is LineRule.JAVA_CXG:
            return line, True
        line.append(token)
        if token in (";", "}"):
            return line, True
    return line, False
