"""Mode ``paper``: what G-TransEval's TestRunner does to a candidate besides serializing values (see :mod:`.values`).

TestRunner pastes the translation into a per-language template (after ``public static`` / ``static`` inside a
``Test`` class for Java and C++), renames its *first* function to ``testfunc`` and calls it with literals of the
benchmark's types. Reproduced here, per sample:

- **entry**: the first function of the candidate is the one tested (:func:`entry`);
- **Java / C++ / C# class context** (:func:`static_failure`): the code follows ``public static`` (Java, C#) /
  ``static`` (C++), so code starting with a modifier, ``template``, ``using`` or a class does not compile; only the first
  function becomes ``static``, so a helper it calls that is not itself declared ``static`` does not compile; a function inside a class of the candidate cannot
  be called as ``testfunc``; ``import`` / ``#include`` / ``using`` (C#) lines inside the class do not compile;
  a C# ``ref`` / ``out`` / ``in`` parameter cannot take a literal argument;
- **Java** ``throws`` of a checked exception: the generated test calls do not catch it, so it does not compile;
- **C++** non-const lvalue-reference parameters: the arguments are prvalues (``vector<int>{...}``, ``5``), which
  cannot bind to ``T&``; narrowing of scalar arguments (``2.5`` to ``int``) is accepted, as C++ accepts it for a
  literal argument (the C++ driver is built with ``GTE_ALLOW_NARROWING``);
- **C++** POSIX math constants (``M_PI``, ``M_E``, ``M_SQRT2``...) are not ISO C++ and the paper's compiler did not
  define them: every published C++ translation that uses ``M_PI`` (5 of 5, all of problem 0113-NGon, whose own C++
  solution uses ``std::numbers::pi``) is ``CompilationFailed`` there, while g++ on glibc defines them.
"""

from __future__ import annotations

import re

from codeeff.tasks.gtranseval import entry as entry_mod

POSIX_MATH_CONSTANT = re.compile(r"\bM_(?:PI|PI_2|PI_4|1_PI|2_PI|2_SQRTPI|E|LOG2E|LOG10E|LN2|LN10|SQRT2|SQRT1_2)\b")
UNCHECKED = {
    "RuntimeException", "IllegalArgumentException", "IllegalStateException", "ArithmeticException",
    "NullPointerException", "IndexOutOfBoundsException", "ArrayIndexOutOfBoundsException", "NumberFormatException",
    "UnsupportedOperationException", "ClassCastException", "StringIndexOutOfBoundsException", "Error",
}  # fmt: skip


def entry(code: str, language: str) -> entry_mod.FunctionInfo | None:
    """The function TestRunner renames to ``testfunc``: the first one defined."""
    try:
        found = entry_mod.functions(code, language)
    except SyntaxError:
        return None
    return found[0] if found else None


def _header(masked: str, name: str) -> tuple[str, str] | None:
    """``(text before the parameter list on its line(s), parameter list)`` of the definition of ``name``."""
    for match in re.finditer(rf"\b{re.escape(name)}\s*\(", masked):
        depth, j = 0, match.end() - 1
        for j in range(match.end() - 1, len(masked)):
            if masked[j] == "(":
                depth += 1
            elif masked[j] == ")":
                depth -= 1
                if depth == 0:
                    break
        after = masked[j + 1 :].lstrip()
        if after.startswith("{") or re.match(r"(?:const\s*)?(?:noexcept\s*)?(?:throws\b[^{;]*)?\{", after):
            start = max(masked.rfind(c, 0, match.start()) for c in ";{}") + 1
            return masked[start : match.start()] + "\0" + after.split("{", 1)[0], masked[match.end() : j]
    return None


def _split_params(params: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in params:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p.strip() for p in [*parts, current] if p.strip()]


def static_failure(code: str, language: str, chosen: entry_mod.FunctionInfo | None) -> str | None:
    """Why TestRunner's template would not compile this candidate (Java/C++), or ``None``."""
    if language not in ("java", "cpp", "csharp") or chosen is None:
        return None
    masked = entry_mod.strip_comments_and_strings(code)
    prefix = "the paper's runner does not compile this: "
    if chosen.owner is not None:
        return prefix + f"the tested function {chosen.name} is inside class {chosen.owner}"
    if re.search(r"^\s*(?:import\s|package\s|#\s*include)", masked, re.MULTILINE) or (
        language == "csharp" and re.search(r"^\s*using\s+[\w.=\s]+;", masked, re.MULTILINE)
    ):
        return prefix + "import/#include lines end up inside the Test class"
    head = re.match(r"\s*([A-Za-z_]\w*)", masked)
    first_word = head.group(1) if head else ""
    clashes = {
        "java": ("public", "private", "protected", "static"),
        "cpp": ("static", "template", "using", "class", "struct"),
        "csharp": ("public", "private", "protected", "internal", "static", "using", "namespace"),
    }
    opening = masked.lstrip()[:1]
    if opening and not (opening.isalpha() or opening == "_" or (language == "java" and opening == "<")):
        keyword = "public static" if language == "java" else "static"
        return prefix + f"the code follows '{keyword}' in the template and starts with '{opening}'"
    if first_word in clashes[language]:
        keyword = "static" if language == "cpp" else "public static"
        return prefix + f"the code follows '{keyword}' in the template and starts with '{first_word}'"
    constant = POSIX_MATH_CONSTANT.search(masked) if language == "cpp" else None
    if constant:
        return prefix + f"{constant.group(0)} is a POSIX constant, not ISO C++ (the paper's compiler lacks it)"
    functions = entry_mod.functions(code, language)
    for helper in functions:
        if helper.name == chosen.name or helper.name not in chosen.calls:
            continue
        found = _header(masked, helper.name)
        if found is not None and not re.search(r"\bstatic\b", found[0].split("\0")[0]):
            return prefix + f"helper {helper.name} is not static, but the tested function is"
    found = _header(masked, chosen.name)
    if found is None:
        return None
    head, params = found
    if language == "java":
        throws = re.search(r"\bthrows\s+([\w\s,.]+)", head.split("\0", 1)[1])
        if throws:
            names = {n.strip().rsplit(".", 1)[-1] for n in throws.group(1).split(",") if n.strip()}
            if names - UNCHECKED:
                return prefix + f"unreported checked exception ({', '.join(sorted(names - UNCHECKED))})"
    if language == "csharp":
        for param in _split_params(params):
            if re.match(r"(?:ref|out|in)\s", param):
                return prefix + f"parameter '{param}' is passed by reference; the arguments are literals"
    if language == "cpp":
        for param in _split_params(params):
            if re.search(r"(?<!&)&(?!&)", param) and not re.search(r"\bconst\b", param):
                return prefix + f"parameter '{param}' is a non-const reference; the arguments are prvalues"
    return None
