"""Typed G-TransEval test values: parsing the config's strings, and the canonical form answers are compared in.

**Equivalence semantics** (one definition; every language's harness implements only ``canon(returned value)``, the
expected side is rendered here once):

- numbers of any width (int, long, double, float) compare at 6 decimals: ``"%.6f"`` (``-0.000000`` = ``0.000000``);
  so ``7`` equals ``7.0`` — as in G-TransEval, which serialises doubles with 6 decimals;
- booleans are ``true``/``false``, distinct from numbers — except for Python targets, where ``bool`` is an ``int``
  and ``True == 1`` (G-TransEval's Python template does the same; kept for parity with the paper's verdicts);
- chars and strings compare as text (``'e'`` equals ``"e"``): a target language without a char type, or a model that
  returns a one-character string, is not penalised;
- lists, arrays, vectors and tuples… : lists, element by element (tuples only where the language has no list/array
  distinction to make: Python tuples are *not* lists, as in G-TransEval);
- dicts/maps compare as sets of key/value pairs (sorted by canonical key);
- ``None``/``null``/``undefined`` is ``null``.
"""

from __future__ import annotations

from typing import Any

from codeeff.tasks.gtranseval.problems import ANY_SEPARATOR


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


def _number(value: float) -> str:
    text = "%.6f" % value  # noqa: UP031 (the 6-decimal format is the definition)
    return "0.000000" if text == "-0.000000" else text


def canon(raw: Any, spec: Any, language: str) -> str:
    """Canonical text of an *expected* value for a target ``language`` (see the module docstring)."""
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


def canon_python_value(value: Any) -> str:
    """The same canonical text computed from a Python value (used for Python answers and in tests)."""
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
