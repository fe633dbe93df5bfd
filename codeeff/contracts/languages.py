"""Programming languages codeeff evaluates and executes, by the names every package uses for them."""

from __future__ import annotations

PYTHON = "python"
JAVA = "java"
CPP = "cpp"
CSHARP = "csharp"
JAVASCRIPT = "javascript"

# G-TransEval's order (its data files, the translation directions and the generated task YAMLs follow it).
LANGUAGES: tuple[str, ...] = (PYTHON, JAVA, CPP, CSHARP, JAVASCRIPT)
DISPLAY_NAMES: dict[str, str] = {PYTHON: "Python", JAVA: "Java", CPP: "C++", CSHARP: "C#", JAVASCRIPT: "JavaScript"}


def check_language(name: str) -> str:
    """``name`` when it is a known language, else ``ValueError`` listing the known ones."""
    if name not in LANGUAGES:
        raise ValueError(f"unknown language {name!r}; known: {', '.join(LANGUAGES)}")
    return name
