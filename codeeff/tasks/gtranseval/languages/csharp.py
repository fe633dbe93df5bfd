"""C# target: ``drivers/GteDriver.cs`` compiled with ``Candidate.cs``; nonce and inputs reach the driver on stdin.

``Candidate.cs`` is the candidate under the namespaces G-TransEval's C# runner has in scope (its template's
``using`` lines plus dotnet-script's default imports, so ``arr.Min()`` works as it did there), after :func:`downlevel` (two C# 8 forms mcs cannot parse); ``GteCompat.cs``
adds the .NET 6 LINQ methods Mono lacks. Top-level members
(G-TransEval's C# references are bare methods) are wrapped in ``class Solution``; top-level types stay as they are.
The driver finds the entry by owner type, name and arity, and calls it on an instance when it is not static.

Mode ``paper`` (:func:`paper_text`) is the serializer of G-TransEval's C# template, run under dotnet: ``int`` as
``12``, ``double`` with format ``N6`` (``1,234.500000``; ``-0.000000`` kept), ``bool`` as ``True``/``False``,
``char`` as ``'c'``, ``string`` quoted, ``List<T>`` and ``Dictionary<K, V>`` (keys sorted) with the last character
overwritten by the closing bracket (an empty list prints ``]``); every other type (``long``, ``float``, arrays,
``HashSet``...) makes it throw, which fails the test. Inputs use the literals of both of the runner's C# templates
(``List<T>`` or ``T[]``); the driver refuses a call that C# would not compile with either.
"""

from __future__ import annotations

import re
from typing import Any

from codeeff.tasks.gtranseval import entry as entry_mod
from codeeff.tasks.gtranseval import harness, values
from codeeff.tasks.gtranseval.problems import Problem

DRIVER_FILE = "GteDriver.cs"
COMPAT_FILE = "GteCompat.cs"
CANDIDATE_FILE = "Candidate.cs"
WRAPPER = "Solution"
PRELUDE_USINGS = (
    "System",
    "System.Collections",
    "System.Collections.Generic",
    "System.Diagnostics",
    "System.Dynamic",
    "System.IO",
    "System.Linq",
    "System.Linq.Expressions",
    "System.Text",
    "System.Threading.Tasks",
)
# C# 8 syntax mcs lacks, rewritten to C# 7 only where the rewrite cannot change behaviour (side-effect-free operands):
# ``x[^k]`` on an identifier or member chain, and a tuple swap ``(a[i], a[j]) = (a[j], a[i]);`` of simple operands.
_FROM_END = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*\[\s*\^")
_SIMPLE = r"[\w.\[\]\s+\-*/%]+?"
_SWAP = re.compile(rf"\(\s*({_SIMPLE})\s*,\s*({_SIMPLE})\s*\)\s*=\s*\(\s*({_SIMPLE})\s*,\s*({_SIMPLE})\s*\)\s*;")
_TYPE_HEAD = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)*(?:(?:public|internal|private|protected|static|sealed|abstract|partial|unsafe|readonly)\s+)*"
    r"(?:class|struct|interface|enum|record|namespace)\b"
)


def split_top_level(code: str) -> tuple[list[str], list[str], list[str]]:
    """(using directives, top-level types and namespaces, other top-level members) of C# code."""
    masked = entry_mod.strip_comments_and_strings(code)
    usings: list[str] = []
    types: list[str] = []
    members: list[str] = []
    depth, start = 0, 0

    def close(end: int) -> None:
        nonlocal start
        text, head = code[start:end].strip(), masked[start:end].strip()
        start = end
        if not text:
            return
        if re.match(r"using\s+[\w.=\s]+;$", head):
            usings.append(text)
        elif _TYPE_HEAD.match(head):
            types.append(text)
        else:
            members.append(text)

    for i, ch in enumerate(masked):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and not masked[i + 1 :].lstrip().startswith((";", ")", ",", ".")):
                close(i + 1)
        elif ch == ";" and depth == 0:
            close(i + 1)
    close(len(code))
    return usings, types, members


def downlevel(code: str) -> str:
    """``code`` with the C# 8 forms of ``_FROM_END`` / ``_SWAP`` rewritten for mcs (strings and comments untouched)."""
    for _ in range(200):
        masked = entry_mod.strip_comments_and_strings(code)
        match = _FROM_END.search(masked)
        if match is None:
            break
        receiver, caret = match.group(1), match.end() - 1
        depth, end = 1, caret + 1
        while end < len(masked) and depth:
            depth += {"[": 1, "]": -1}.get(masked[end], 0)
            end += 1
        if depth:
            break
        offset = code[caret + 1 : end - 1]
        code = code[: match.start()] + f"{receiver}[CodeeffGteCompat.Len({receiver}) - ({offset})]" + code[end:]
    masked = entry_mod.strip_comments_and_strings(code)
    pieces, last = [], 0
    for n, match in enumerate(_SWAP.finditer(masked)):
        a, b, c, d = (code[match.start(i) : match.end(i)] for i in range(1, 5))
        pieces += [code[last : match.start()], f"{{ var gteSwap{n}a = {c}; var gteSwap{n}b = {d}; {a} = gteSwap{n}a; "
                                               f"{b} = gteSwap{n}b; }}"]  # fmt: skip
        last = match.end()
    return "".join(pieces) + code[last:]


def wrapper_name(code: str) -> str:
    """``Solution``, or ``Solution_``... when the candidate uses that identifier (a method ``Solution`` cannot live in
    a class of the same name)."""
    name = WRAPPER
    while re.search(rf"\b{name}\b", code):
        name += "_"
    return name


def candidate_source(code: str) -> tuple[str, str | None]:
    """``Candidate.cs`` for ``code`` and the name of the class its top-level members were wrapped in (if any)."""
    usings, types, members = split_top_level(downlevel(code))
    wrapper = wrapper_name(code)
    prelude = "".join(f"using {name};\n" for name in PRELUDE_USINGS)
    body = "\n\n".join(types)
    if members:
        body += f"\n\nclass {wrapper}\n{{\n" + "\n\n".join(members) + "\n}\n"
    return prelude + "\n".join(usings) + "\n\n" + body + "\n", wrapper if members else None


def render(problem: Problem, code: str, chosen: entry_mod.FunctionInfo | None, mode: str) -> tuple[dict[str, str], str]:
    source, wrapper = candidate_source(code)
    entry: dict[str, Any] | None = None
    if chosen is not None:
        entry = {"owner": chosen.owner or wrapper, "name": chosen.name, "types": list(problem.params_type),
                 "returns": problem.return_type, "paper": mode == "paper"}  # fmt: skip
    tests = values.wire_tests(problem)
    files = {
        DRIVER_FILE: harness.driver_source(DRIVER_FILE),
        COMPAT_FILE: harness.driver_source(COMPAT_FILE),
        CANDIDATE_FILE: source,
        harness.INPUT_FILE: harness.input_document(problem, entry, tests),
    }
    return files, DRIVER_FILE


# --- paper mode -----------------------------------------------------------------------------------------------------


def _n6(value: float) -> str:
    """.NET's ``{0:N6}`` (invariant/en-US groups; .NET Core 3.0+ keeps the sign of zero)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "-∞" if value < 0 else "∞"
    return f"{value:,.6f}"


def paper_text(value: list) -> str:
    """Text of a returned wire value under G-TransEval's C# serializer; :class:`values.Unequal` where it throws."""
    tag = value[0]
    if tag == "null":
        return "null"
    if tag == "bool":
        return "True" if value[1] else "False"
    if tag == "int" and value[2] == "int":
        return str(int(value[1]))
    if tag == "float" and value[2] == "double":
        return _n6(float(value[1]))
    if tag == "str" and value[2] in ("char", "string"):
        return ("'" + value[1] + "'") if value[2] == "char" else ('"' + value[1] + '"')
    if tag == "list" and value[2] == "List":
        return _join("[", [paper_text(v) for v in value[1]], "]")
    if tag == "map" and value[2] == "Dictionary":
        pairs = sorted(value[1], key=lambda kv: _sort_key(kv[0]))
        return _join("{", [paper_text(k) + ":" + paper_text(v) for k, v in pairs], "}")
    kind = value[1] if tag == "other" else value[-1]
    raise values.Unequal(f"the paper's csharp serializer throws on {kind}")


def _join(open_: str, items: list[str], close: str) -> str:
    # The template overwrites the trailing comma (or, for an empty collection, the opening bracket) with the closer.
    return open_ + ",".join(items) + close if items else close


def _sort_key(key: list) -> tuple:
    if key[0] in ("int", "float"):
        return (0, float(key[1]), "")
    return (1, 0.0, str(key[1]))


def expected_wire(raw: Any, spec: Any) -> list:
    """The wire value of the template's literal of an expected value (``List<T>``, ``Dictionary<K, V>``, ``int``...)."""
    raw, spec = values.resolve(raw, spec)
    if isinstance(spec, list):
        return ["list", [expected_wire(item, spec[0]) for item in raw], "List"]
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        return [
            "map",
            [[expected_wire(k, key_spec), expected_wire(v, value_spec)] for k, v in raw.items()],
            "Dictionary",
        ]
    wire = values.wire_input(raw, spec)
    if wire[0] == "float":
        return ["float", wire[1], "double"]
    return wire
