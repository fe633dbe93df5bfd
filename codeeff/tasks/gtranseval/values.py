"""G-TransEval test values: the config's typed strings, their wire form, and the two equivalence modes.

**Wire form** (record protocol v1, shared by inputs sent to the drivers and values the drivers return): a JSON
array, tag first — ``["null"]``, ``["bool", b]``, ``["int", "<digits>", kind]``, ``["float", "<repr>", kind]``,
``["str", text, kind]``, ``["list", [V...], kind]``, ``["map", [[V, V]...], kind]``, ``["other", type name]``.
``kind`` names the source-language type the driver saw (``Integer``, ``long long``, ``tuple``, ``Map``...).

**Equivalence, mode ``semantic``** (codeeff's default; both sides rendered to one canonical text here, on the host):

- numbers of any width (int, long, double, float) compare at 6 decimals: ``"%.6f"`` (``-0.000000`` = ``0.000000``);
  so ``7`` equals ``7.0``;
- booleans are ``true``/``false``, distinct from numbers — except for Python targets, where ``bool`` is an ``int``
  and ``True == 1`` (G-TransEval's Python template does the same);
- chars and strings compare as text (``'e'`` equals ``"e"``);
- lists, arrays, vectors, Java collections, JS arrays and typed arrays compare as lists, element by element; Python
  tuples and sets are *not* lists (as in G-TransEval); JS plain objects count as maps (numeric-looking keys as
  numbers);
- dicts/maps compare as sets of key/value pairs (sorted by canonical key);
- ``None``/``null``/``undefined`` is ``null``; anything else (``["other", ...]``) is never equal.

**Mode ``paper``**: G-TransEval's own serializers per target language (see :func:`paper_text`): Java and C++ print an
``Integer``/``int`` as ``12`` and a ``Double``/``double`` as ``12.000000`` and raise on every other numeric type
(``Long``, ``long long``, ``float``...), chars as ``'c'``; Python and JavaScript print every number with 6 decimals.
The expected value is rendered as the paper's typed literal of the declared return type.
"""

from __future__ import annotations

import math
import re
from typing import Any

from codeeff.tasks.gtranseval.problems import ANY_SEPARATOR, Problem

MODES = ("semantic", "paper")
TAGS = ("null", "bool", "int", "float", "str", "list", "map", "other")
MAX_DEPTH = 200
_INT_TEXT = re.compile(r"-?[0-9]+\Z")
_NUMERIC_KEY = re.compile(r"-?\d+(\.\d+)?\Z")


class WireError(ValueError):
    """A record value that does not follow the wire form (the record is malformed)."""


def resolve(raw: Any, spec: Any) -> tuple[Any, Any]:
    """Resolve ``any`` values to ``(raw, concrete spec)``; ``[]`` inside ``[any]`` becomes an untyped empty list."""
    if spec == "any":
        if isinstance(raw, list):
            return raw, ["int"]
        value, _, actual = raw.partition(ANY_SEPARATOR)
        return value, actual
    return raw, spec


def python_value(raw: Any, spec: Any) -> Any:
    """The Python value of a config value (char -> 1-char str, dict keys typed)."""
    raw, spec = resolve(raw, spec)
    if isinstance(spec, list):
        return [python_value(item, spec[0]) for item in raw]
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        return {python_value(k, key_spec): python_value(v, value_spec) for k, v in raw.items()}
    if spec == "int":
        return int(raw)
    if spec == "double":
        return float(raw)
    if spec == "bool":
        return raw == "true"
    return str(raw)


def wire_input(raw: Any, spec: Any) -> list:
    """The wire form of a config input value (kinds: the benchmark's declared types)."""
    raw, spec = resolve(raw, spec)
    if isinstance(spec, list):
        return ["list", [wire_input(item, spec[0]) for item in raw], "list"]
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        return ["map", [[wire_input(k, key_spec), wire_input(v, value_spec)] for k, v in raw.items()], "map"]
    if spec == "int":
        return ["int", str(int(raw)), "int"]
    if spec == "double":
        return ["float", repr(float(raw)), "double"]
    if spec == "bool":
        return ["bool", raw == "true"]
    if spec == "char":
        return ["str", str(raw), "char"]
    return ["str", str(raw), "string"]


def wire_tests(problem: Problem) -> list[list[list]]:
    """The wire form of every test's arguments, one list per test id in order (what a driver receives)."""
    return [[wire_input(p, s) for p, s in zip(t.params, problem.params_type, strict=True)] for t in problem.tests]


def check_wire(value: Any, depth: int = 0) -> None:
    """Raise :class:`WireError` unless ``value`` is a well-formed wire value."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if not isinstance(value, list) or not value or value[0] not in TAGS:
        raise WireError(f"not a wire value: {str(value)[:80]}")
    tag, rest = value[0], value[1:]
    shapes = {"null": 0, "bool": 1, "int": 2, "float": 2, "str": 2, "list": 2, "map": 2, "other": 1}
    if len(rest) != shapes[tag]:
        raise WireError(f"{tag} value with {len(rest)} fields")
    if tag == "bool" and not isinstance(rest[0], bool):
        raise WireError("bool value is not true/false")
    if tag in ("int", "float", "str", "list", "map") and not isinstance(rest[-1], str):
        raise WireError(f"{tag} kind is not a string")
    if tag == "int" and not (isinstance(rest[0], str) and _INT_TEXT.match(rest[0])):
        raise WireError("int value is not decimal digits")
    if tag == "float":
        if not isinstance(rest[0], str):
            raise WireError("float value is not a string")
        try:
            float(rest[0])
        except ValueError:
            raise WireError(f"float value {rest[0][:40]!r} does not parse") from None
    if tag in ("str", "other") and not isinstance(rest[0], str):
        raise WireError(f"{tag} text is not a string")
    if tag == "list":
        if not isinstance(rest[0], list):
            raise WireError("list items are not a list")
        for item in rest[0]:
            check_wire(item, depth + 1)
    if tag == "map":
        if not isinstance(rest[0], list):
            raise WireError("map pairs are not a list")
        for pair in rest[0]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise WireError("map pair is not [key, value]")
            check_wire(pair[0], depth + 1)
            check_wire(pair[1], depth + 1)


# --- semantic mode --------------------------------------------------------------------------------------------------


class Unequal(Exception):
    """A returned value that can never equal an expected one (the message says why)."""


def _number(value: float | int) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    text = _fixed6(value)
    return "0.000000" if text == "-0.000000" else text


def canon(raw: Any, spec: Any, language: str) -> str:
    """Canonical text (mode semantic) of an *expected* config value for a target ``language``."""
    raw, spec = resolve(raw, spec)
    if isinstance(spec, list):
        return "[" + ",".join(canon(item, spec[0], language) for item in raw) + "]"
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        pairs = sorted((canon(k, key_spec, language), canon(v, value_spec, language)) for k, v in raw.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
    if spec in ("int", "double"):
        return _number(float(raw) if spec == "double" else int(raw))
    if spec == "bool":
        if language == "python":
            return _number(1 if raw == "true" else 0)
        return "true" if raw == "true" else "false"
    return '"' + str(raw) + '"'


def canon_wire(value: list, language: str) -> str:
    """Canonical text (mode semantic) of a returned wire value; raises :class:`Unequal` for unsupported types."""
    tag = value[0]
    if tag == "null":
        return "null"
    if tag == "bool":
        if language == "python":
            return _number(1 if value[1] else 0)
        return "true" if value[1] else "false"
    if tag == "int":
        return _number(int(value[1]))
    if tag == "float":
        return _number(float(value[1]))
    if tag == "str":
        if value[2] == "objkey" and _NUMERIC_KEY.match(value[1]):
            return _number(float(value[1]))
        return '"' + value[1] + '"'
    if tag == "list":
        if language == "python" and value[2] != "list":
            raise Unequal(f"unsupported return type {value[2]}")
        return "[" + ",".join(canon_wire(v, language) for v in value[1]) + "]"
    if tag == "map":
        pairs = sorted((canon_wire(k, language), canon_wire(v, language)) for k, v in value[1])
        return "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
    raise Unequal(f"unsupported return type {value[1]}")


def canon_python_value(value: Any) -> str:
    """The semantic canonical text computed from a Python value (used in tests)."""
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return _number(value)
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, list):
        return "[" + ",".join(canon_python_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = sorted((canon_python_value(k), canon_python_value(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
    raise TypeError(f"unsupported return type {type(value).__name__}")


# --- paper mode -----------------------------------------------------------------------------------------------------

# Numeric kinds each of G-TransEval's Java/C++ serializers prints; every other numeric kind raises there.
_PAPER_INT_KINDS = {"java": ("Integer",), "cpp": ("int",)}
_PAPER_FLOAT_KINDS = {"java": ("Double",), "cpp": ("double",)}
_PAPER_LIST_KINDS = {"python": ("list",), "javascript": ("Array",)}
_PAPER_MAP_KINDS = {"python": ("dict",), "javascript": ("Map",)}


def _paper_join(open_: str, items: list[str], close: str) -> str:
    # G-TransEval overwrites the last character with the closing bracket: an empty list prints as "]" (not "[]").
    return open_ + "".join(item + "," for item in items)[:-1] + close if items else close


def _fixed6(value: float | int) -> str:
    try:
        return "%.6f" % value  # noqa: UP031 (the 6-decimal format is the definition; ints convert to float)
    except OverflowError:
        raise Unequal(f"number too large for a double ({str(value)[:40]}...)") from None


def paper_text(value: list, language: str) -> str:
    """Text of a returned wire value under G-TransEval's serializer for ``language``; :class:`Unequal` if it raises."""
    if language == "csharp":
        from codeeff.tasks.gtranseval.languages import csharp

        return csharp.paper_text(value)
    tag = value[0]
    if tag == "null":
        return "null"
    if tag == "bool":
        if language == "python":
            return _fixed6(1 if value[1] else 0)  # isinstance(True, int) is checked first in the paper's template
        return "true" if value[1] else "false"
    if tag in ("int", "float"):
        if language in ("python", "javascript"):
            return _fixed6(int(value[1]) if tag == "int" else float(value[1]))
        if value[2] in _PAPER_INT_KINDS[language] and tag == "int":
            return str(int(value[1]))
        if value[2] in _PAPER_FLOAT_KINDS[language] and tag == "float":
            return _fixed6(float(value[1]))
        raise Unequal(f"the paper's {language} serializer rejects {value[2]}")
    if tag == "str":
        if value[2] in ("char", "Character"):
            return "'" + value[1] + "'"
        if language == "javascript" and value[2] == "objkey":
            raise Unequal("the paper's JavaScript serializer rejects plain objects")
        if language == "cpp" and value[2] != "string":
            raise Unequal(f"the paper's cpp serializer rejects {value[2]}")
        return '"' + value[1] + '"'
    if tag == "list":
        allowed = _PAPER_LIST_KINDS.get(language)
        if allowed is not None and value[2] not in allowed:
            raise Unequal(f"the paper's {language} serializer rejects {value[2]}")
        if language == "java" and value[2] not in ("array", "List"):
            raise Unequal(f"the paper's java serializer rejects {value[2]}")
        return _paper_join("[", [paper_text(v, language) for v in value[1]], "]")
    if tag == "map":
        allowed = _PAPER_MAP_KINDS.get(language)
        if allowed is not None and value[2] not in allowed:
            raise Unequal(f"the paper's {language} serializer rejects {value[2]}")
        pairs = sorted(value[1], key=lambda kv: _paper_sort_key(kv[0]))
        return _paper_join("{", [paper_text(k, language) + ":" + paper_text(v, language) for k, v in pairs], "}")
    raise Unequal(f"the paper's {language} serializer rejects {value[1]}")


def _paper_sort_key(key: list) -> tuple:
    if key[0] in ("int", "float"):
        return (0, float(key[1]), "")
    return (1, 0.0, str(key[1]))


def paper_expected(raw: Any, spec: Any, language: str) -> str:
    """The paper's text of an expected value: the typed literal of the declared return type, serialized."""
    return paper_text(expected_wire(raw, spec, language), language)


def expected_wire(raw: Any, spec: Any, language: str) -> list:
    """The wire value the paper's literal of an expected value has in ``language`` (Integer/int, Double/double...)."""
    if language == "csharp":
        from codeeff.tasks.gtranseval.languages import csharp

        return csharp.expected_wire(raw, spec)
    raw, spec = resolve(raw, spec)
    if isinstance(spec, list):
        kind = {"python": "list", "javascript": "Array", "java": "List", "cpp": "vector"}[language]
        return ["list", [expected_wire(item, spec[0], language) for item in raw], kind]
    if isinstance(spec, dict):
        key_spec, value_spec = next(iter(spec.items()))
        kind = {"python": "dict", "javascript": "Map", "java": "HashMap", "cpp": "unordered_map"}[language]
        pairs = [[expected_wire(k, key_spec, language), expected_wire(v, value_spec, language)] for k, v in raw.items()]
        return ["map", pairs, kind]
    if spec == "int":
        return ["int", str(int(raw)), {"java": "Integer", "cpp": "int"}.get(language, "int")]
    if spec == "double":
        return ["float", repr(float(raw)), {"java": "Double", "cpp": "double"}.get(language, "float")]
    if spec == "bool":
        return ["bool", raw == "true"]
    if spec == "char":
        return ["str", str(raw), "char" if language in ("java", "cpp") else "str"]
    return ["str", str(raw), "string"]


def compare(value: list, raw: Any, spec: Any, language: str, mode: str) -> tuple[bool, str, str]:
    """``(equal, got text, expected text)`` of a returned wire value against an expected config value."""
    expected_text, got_text = (paper_expected, paper_text) if mode == "paper" else (canon, canon_wire)
    expected = expected_text(raw, spec, language)
    try:
        got = got_text(value, language)
    except Unequal as exc:
        return False, f"<{exc}>", expected
    return got == expected, got, expected
