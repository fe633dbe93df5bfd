"""Which function of a candidate translation is the one under test.

G-TransEval renames the first function of a (space-tokenized) translation to ``testfunc``; that breaks on raw code,
on helpers defined first and on class wrappers. codeeff instead lists the candidate's functions and picks the entry
point, so the name a model chooses does not matter and added helpers keep working (recursion keeps its own name):

1. a function whose name matches the problem's name in any benchmark language, ignoring case and ``_``
   (``greatest_common_divisor`` = ``greatestCommonDivisor`` = ``GreatestCommonDivisor``), preferring the right arity;
2. else, among functions with the right number of parameters that no other function calls (helpers are called by the
   entry, the entry by nobody; calls made by a test driver do not count), the one whose name is most similar to the
   problem's names (similarity >= 0.5), else the first one by position that is not a test driver (``main``,
   ``test*``, ``check*``, ``example*``, ``demo*``): a never-called function of the same arity written after the entry
   (a usage example) is not the entry;
3. else the same choice among the functions with the right arity, then among the functions nobody calls; else the
   first function.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    min_args: int
    max_args: int
    calls: frozenset[str]  # identifiers followed by "(" in its body
    owner: str | None = None  # enclosing class, if any
    is_static: bool = True
    position: int = 0  # offset of the definition in the code (functions are listed in this order)


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


def choose_entry(functions: list[FunctionInfo], preferred_names: list[str], arity: int) -> FunctionInfo | None:
    """Apply the rules of the module docstring; ``None`` when the candidate defines no function at all."""
    if not functions:
        return None
    fits = [f for f in functions if f.min_args <= arity <= f.max_args]
    wanted = {_norm(n) for n in preferred_names if n}
    named = [f for f in functions if _norm(f.name) in wanted]
    if named:
        named_fits = [f for f in named if f in fits]
        return (named_fits or named)[0]
    callers = [g for g in functions if not _DRIVER_NAME.match(g.name)]  # a test driver's calls do not make helpers
    roots = [f for f in functions if not any(f.name in g.calls for g in callers if g is not f)]
    for pool in ([f for f in roots if f in fits], fits, roots):
        if pool:
            return _best_root(pool, wanted)
    return functions[0]


_DRIVER_NAME = re.compile(r"^(?:main|test|check|example|demo|run_?tests?|usage)", re.IGNORECASE)
SIMILAR_ENOUGH = 0.5


def name_similarity(name: str, wanted: set[str]) -> float:
    """Best ``difflib`` ratio of ``name`` to any wanted name (case and ``_`` ignored); 0.0 when nothing is wanted."""
    from difflib import SequenceMatcher

    return max((SequenceMatcher(None, _norm(name), w).ratio() for w in wanted), default=0.0)


def _best_root(pool: list[FunctionInfo], wanted: set[str]) -> FunctionInfo:
    scored = [(name_similarity(f.name, wanted), -i, f) for i, f in enumerate(pool)]
    best = max(scored, key=lambda item: (item[0], item[1]))
    if best[0] >= SIMILAR_ENOUGH:
        return best[2]
    drivers = [f for f in pool if not _DRIVER_NAME.match(f.name)]
    return (drivers or pool)[0]


# --- Python --------------------------------------------------------------------------------------------------------


def python_functions(code: str) -> list[FunctionInfo]:
    """Top-level functions and methods of top-level classes (raises SyntaxError if the code does not parse)."""
    tree = ast.parse(code)
    found: list[FunctionInfo] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(_py_info(node, None, skip_self=False))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in item.decorator_list)
                    found.append(_py_info(item, node.name, skip_self=not static))
    return found


def _py_info(node: ast.FunctionDef | ast.AsyncFunctionDef, owner: str | None, skip_self: bool) -> FunctionInfo:
    args = node.args
    positional = [*args.posonlyargs, *args.args][1 if skip_self else 0 :]
    required = len(positional) - len(args.defaults)
    maximum = 10**6 if args.vararg else len(positional)
    calls = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Name):
                calls.add(func.id)
            elif isinstance(func, ast.Attribute):
                calls.add(func.attr)
    calls.discard(node.name)  # recursion does not make a function a helper
    return FunctionInfo(
        node.name, max(required, 0), maximum, frozenset(calls), owner, is_static=not skip_self, position=node.lineno
    )


# --- C-family (Java, C++, C#, JavaScript) ---------------------------------------------------------------------------

_STRIP = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`", re.DOTALL)
_C_NOT_FUNCTIONS = frozenset(
    "if for while switch catch return new sizeof else do try synchronized using lock foreach typeof function throw"
    " noexcept".split()
)
_C_SIGNATURE = re.compile(r"([A-Za-z_$][\w$]*)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*(?:const\s*)?(?:throws[^{;]*)?$")
_JS_ARROW = re.compile(
    r"(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:function\s*[\w$]*\s*\(([^()]*)\)|\(([^()]*)\)\s*=>|([A-Za-z_$][\w$]*)\s*=>)"
)
_CALL = re.compile(r"([A-Za-z_$][\w$]*)\s*\(")
_CPP_TRAILING = re.compile(r"(?:\s*(?:noexcept\s*(?:\([^()]*\))?|throw\s*\([^()]*\)|override|final))+\s*$")


def strip_comments_and_strings(code: str) -> str:
    """Blank out comments and literals (keeping their length) so brace and call scanning cannot be fooled."""
    return _STRIP.sub(lambda m: " " * len(m.group()), code)


def _count_params(params: str) -> int:
    params = params.strip()
    if not params or params == "void":
        return 0
    depth, count = 0, 1
    for ch in params:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        elif ch == "," and depth == 0:
            count += 1
    return count


def c_family_functions(code: str, language: str) -> list[FunctionInfo]:
    """Functions defined at top level or directly inside a top-level class/struct (brace depth 0 or 1)."""
    text = strip_comments_and_strings(code)
    found: list[FunctionInfo] = []
    depth = 0
    class_depths: list[tuple[int, str]] = []
    segment_start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            header = text[segment_start:i].strip()
            owner = class_depths[-1][1] if class_depths and class_depths[-1][0] == depth - 1 else None
            at_function_level = depth == 0 or owner is not None
            cls = re.search(r"\b(?:class|struct|interface|record)\s+([A-Za-z_$][\w$]*)", header)
            if at_function_level and cls and not re.search(r"\)\s*$", header):
                class_depths.append((depth, cls.group(1)))
            elif at_function_level:
                info = _c_signature(header, language)
                if info is not None:
                    end = _matching_brace(text, i)
                    body = text[i:end]
                    calls = frozenset(m.group(1) for m in _CALL.finditer(body)) - {info[0]}
                    static = depth == 0 or bool(re.search(r"\bstatic\b", header))
                    found.append(FunctionInfo(info[0], info[1], info[1], calls, owner, static, segment_start))
            depth += 1
            segment_start = i + 1
        elif ch == "}":
            depth -= 1
            if class_depths and class_depths[-1][0] == depth:
                class_depths.pop()
            segment_start = i + 1
        elif ch == ";":
            segment_start = i + 1
        i += 1
    if language == "javascript":
        for match in _JS_ARROW.finditer(text):
            params = match.group(2) if match.group(2) is not None else match.group(3)
            arity = 1 if match.group(4) else _count_params(params or "")
            end = _matching_brace(text, text.find("{", match.end())) if "{" in text[match.end() :] else len(text)
            calls = frozenset(m.group(1) for m in _CALL.finditer(text[match.end() : end])) - {match.group(1)}
            found.append(FunctionInfo(match.group(1), arity, arity, calls, position=match.start()))
    return sorted(found, key=lambda f: f.position)


def _c_signature(header: str, language: str) -> tuple[str, int] | None:
    header = header.split("\n")[-1] if language == "javascript" and "function" not in header else header
    if language == "cpp":  # what may follow a C++ parameter list: exception specification, virt-specifiers
        header = _CPP_TRAILING.sub("", header)
    match = _C_SIGNATURE.search(header)
    if match is None:
        return None
    name = match.group(1)
    if name in _C_NOT_FUNCTIONS:
        return None
    before = header[: match.start()].strip()
    if language == "javascript":
        if not re.search(r"(?:^|\s)function\s*\*?$|^$|^(?:async|static|get|set)$", before) and before:
            return None
    elif not before or re.search(r"[=+\-*/%,(!&|?:]$", before):
        return None  # a call or expression, not a declaration (declarations have a return type before the name)
    return name, _count_params(match.group(2))


def _matching_brace(text: str, open_index: int) -> int:
    depth = 0
    for j in range(open_index, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(text)


def functions(code: str, language: str) -> list[FunctionInfo]:
    if language == "python":
        return python_functions(code)
    return c_family_functions(code, language)


def declared_name(tokenized: str) -> str | None:
    """The function name of a tokenized benchmark line (the identifier before the first ``(``)."""
    tokens = tokenized.split()
    for i, tok in enumerate(tokens):
        if tok == "(" and i > 0:
            return tokens[i - 1]
    return None
