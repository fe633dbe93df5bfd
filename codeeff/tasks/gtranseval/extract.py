"""Get the code out of a model's answer: markdown fences, prose before/after the code, or a bare continuation.

The prompt opens a fence for the model (``gen_prefix`` = "```python\\n"), so a well-behaved answer is code followed by
a closing fence (a stop sequence). Chatty models still write prose or open their own fences; this handles both:

- among the candidate blocks (the code before the first closing fence when the prompt opened one, then every fenced
  block) the one that defines the entry wins: a function with one of the problem's names, else one with the right
  arity, else any function; ties go to the block tagged with the target language, then to the earliest (chat answers
  often show a usage example before or after the solution);
- without fences, prose lines before and after the code are dropped but module-level statements next to the code are
  kept (imports, constants such as ``OFFSET = 0``, Java/C++ fields such as ``int count = 0;``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

_FENCE = re.compile(r"```[ \t]*([\w#+.\-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_LANG_TAGS = {
    "python": ("python", "py", "python3"),
    "java": ("java",),
    "cpp": ("cpp", "c++", "cc", "cxx", "c"),
    "csharp": ("csharp", "cs", "c#"),
    "javascript": ("javascript", "js", "node", "nodejs"),
}
_CODE_START = {
    "python": re.compile(r"^(?:def |class |import |from |@|async def )"),
    "java": re.compile(r"^(?:import |public |private |protected |static |class |[\w<>\[\], ]+\s+\w+\s*\()"),
    "cpp": re.compile(r"^(?:#include|using |template|class |struct |static |[\w:<>\[\], *&]+\s+\w+\s*\()"),
    "csharp": re.compile(r"^(?:using |public |private |static |class |[\w<>\[\], ]+\s+\w+\s*\()"),
    "javascript": re.compile(r"^(?:function |const |let |var |class |async function |module\.exports)"),
}


def extract_code(response: str, language: str, names: Sequence[str] = (), arity: int | None = None) -> str:
    """The code of ``response`` (a ``language`` translation); the whole text if no code structure is recognised.

    ``names`` (the problem's function names) and ``arity`` choose between several fenced blocks.
    """
    text = response.replace("\r\n", "\n")
    candidates: list[tuple[bool, str]] = []  # (tagged with the target language, code)
    fenced = text
    # The prompt already opened a fence: everything up to a closing fence is the code; fences open after it.
    if "```" in text and not text.lstrip().startswith("```"):
        head, fenced = text.split("```", 1)
        if _looks_like_code(head, language):
            candidates.append((True, _dedent_block(head)))
        else:
            fenced = text
    for tag, body in _FENCE.findall(fenced):
        if body.strip():
            candidates.append((tag.lower() in _LANG_TAGS[language], _dedent_block(body)))
    if not candidates:
        return _strip_prose(text, language)
    if len(candidates) == 1:
        return candidates[0][1]
    ranked = [
        (_defines_entry(code, language, names, arity), tagged, -i, code) for i, (tagged, code) in enumerate(candidates)
    ]
    return max(ranked, key=lambda item: item[:3])[3]


def _defines_entry(code: str, language: str, names: Sequence[str], arity: int | None) -> int:
    """3: defines a function with one of ``names``; 2: one taking ``arity`` arguments; 1: any function; 0: none."""
    from codeeff.tasks.gtranseval.entry import functions

    try:
        found = functions(code, language)
    except (SyntaxError, ValueError):
        found = []
    if not found:
        return 0
    wanted = {n.replace("_", "").lower() for n in names if n}
    if any(f.name.replace("_", "").lower() in wanted for f in found):
        return 3
    if arity is not None and any(f.min_args <= arity <= f.max_args for f in found):
        return 2
    return 1


def _looks_like_code(text: str, language: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and any(_CODE_START[language].match(line.strip()) for line in lines)


def _strip_prose(text: str, language: str) -> str:
    """Drop leading prose lines before the first code-looking line, and trailing prose after the code."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _CODE_START[language].match(line.strip())), None)
    if start is None:
        return _dedent_block(text)
    while start > 0 and (not lines[start - 1].strip() or _is_module_statement(lines[start - 1], language)):
        start -= 1
    body = lines[start:]
    if language == "python":
        end = len(body)
        for i, line in enumerate(body[1:], 1):
            if line and not line[0].isspace() and not _CODE_START["python"].match(line) and not _is_python_stmt(line):
                end = i
                break
        body = body[:end]
    else:
        depth, end, seen = 0, len(body), False
        for i, line in enumerate(body):
            depth += line.count("{") - line.count("}")
            seen = seen or "{" in line
            if seen and depth <= 0 and line.strip().endswith("}"):
                end = i + 1
                rest = "\n".join(body[i + 1 :])
                if not _CODE_START[language].search(rest.strip()):
                    break
        body = body[:end]
    return _dedent_block("\n".join(body))


_C_DECLARATION = re.compile(
    r"^(?:#\s*(?:include|define)\b.*|(?:typedef|using)\b.*;|//.*"
    r"|(?:(?:public|private|protected|static|final|const|constexpr|volatile|transient|unsigned|signed|long|short)\s+)*"
    r"[A-Za-z_][\w:.]*(?:\s*<[^;]*>)?(?:\s*\[\s*\])*[\s*&]+[A-Za-z_]\w*(?:\s*\[[^\]]*\])*\s*(?:=[^;]*)?;)$"
)
_PY_MODULE_STATEMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.Expr)


def _is_module_statement(line: str, language: str) -> bool:
    """Whether a line just before the code is part of it (a constant, an import, a field), not prose."""
    stripped = line.strip()
    if language != "python":
        return bool(_C_DECLARATION.match(stripped)) or (language == "javascript" and stripped.startswith("//"))
    if stripped.startswith("#"):
        return True
    try:
        tree = ast.parse(stripped)
    except SyntaxError:
        return False
    return bool(tree.body) and all(
        isinstance(node, _PY_MODULE_STATEMENTS)
        and not (isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call))
        for node in tree.body
    )


def _is_python_stmt(line: str) -> bool:
    return bool(re.match(r"^[A-Za-z_][\w.]*\s*(?:=|\(|\[)|^(?:if|for|while|try|with|return|print)\b|^#", line))


def _dedent_block(code: str) -> str:
    import textwrap

    return textwrap.dedent(code).strip("\n") + "\n"
