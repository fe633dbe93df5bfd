"""C++ target: ``drivers/driver.cpp`` with the candidate and one typed call per test, compiled as one ``main.cpp``.

Inputs are declared as G-TransEval's template declares them (``vector<T>``, ``unordered_map<K, V>``, ``string``,
``any``); scalars go through ``gte::In<S>`` (no narrowing conversions, see the driver). A refusal is a compile error
whose message starts with ``gte refused``; the host reports it as the failure reason.
"""

from __future__ import annotations

import json
from typing import Any

from codeeff.tasks.gtranseval import harness, values
from codeeff.tasks.gtranseval.entry import FunctionInfo
from codeeff.tasks.gtranseval.problems import Problem

CANDIDATE_LINE = "// @@GTE_CANDIDATE@@"
TESTS_LINE = "  // @@GTE_TESTS@@"
SCALARS = {"int": "int", "double": "double", "bool": "bool", "char": "char"}


def cpp_type(spec: Any) -> str:
    if isinstance(spec, list):
        return f"vector<{cpp_type(spec[0])}>"
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        return f"unordered_map<{cpp_type(key_spec)}, {cpp_type(value_spec)}>"
    return {**SCALARS, "string": "string", "any": "any"}[spec]


def char_literal(ch: str) -> str:
    return "'" + json.dumps(ch)[1:-1].replace("'", "\\'") + "'"


def literal(raw: Any, spec: Any) -> str:
    if spec == "any":  # std::any holding the concrete value (an untyped [] becomes vector<int>{})
        raw, actual = values.resolve(raw, spec)
        return f"any({cpp_type(actual)}({literal(raw, actual)}))"
    raw, spec = values.resolve(raw, spec)
    if isinstance(spec, list):
        return "{" + ", ".join(literal(item, spec[0]) for item in raw) + "}"
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        return "{" + ", ".join(f"{{{literal(k, key_spec)}, {literal(v, value_spec)}}}" for k, v in raw.items()) + "}"
    value = values.python_value(raw, spec)
    if spec == "int":
        return str(value)
    if spec == "double":
        return repr(value)
    if spec == "bool":
        return "true" if value else "false"
    if spec == "char":
        return char_literal(value)
    return "string(" + json.dumps(value) + ")"


def declaration(index: int, raw: Any, spec: Any) -> str:
    if isinstance(spec, str) and spec in SCALARS:
        return f"gte::In<{SCALARS[spec]}> a{index}{{{literal(raw, spec)}}};"
    return f"{cpp_type(spec)} a{index} = {literal(raw, spec)};"


def render(problem: Problem, code: str, chosen: FunctionInfo | None, mode: str) -> tuple[dict[str, str], str]:
    driver = harness.driver_source("driver.cpp")
    if mode == "paper":  # a literal argument converts with narrowing in C++ (as in the paper's template)
        driver = "#define GTE_ALLOW_NARROWING 1\n" + driver
    if chosen is None:
        tests = '  gte::emit("{\\"error\\":\\"no_function\\",\\"detail\\":\\"the candidate defines no function\\"}");'
    else:
        call = chosen.name
        if chosen.owner is not None:
            call = f"{chosen.owner}::{chosen.name}" if chosen.is_static else f"{chosen.owner}().{chosen.name}"
        blocks = []
        for test_id, test in enumerate(problem.tests):
            decls = [
                declaration(i, p, s) for i, (p, s) in enumerate(zip(test.params, problem.params_type, strict=True))
            ]
            args = ", ".join(f"a{i}" for i in range(len(decls)))
            blocks.append(
                "  try {\n    " + "\n    ".join(decls) + f"\n    gte::value({test_id}, gte::encode({call}({args})));\n"
                f"  }} catch (const std::exception& e) {{ gte::raised({test_id}, e.what()); }}"
                f' catch (...) {{ gte::raised({test_id}, "non-std exception"); }}'
            )
        tests = "\n".join(blocks)
    source = driver.replace(CANDIDATE_LINE, f"// {harness.DRIVER_VERSION}\n" + code, 1).replace(TESTS_LINE, tests, 1)
    return {"main.cpp": source}, "main.cpp"
