"""Load G-TransEval: the parallel ``.test`` files (Type1..Type4) and TestRunner's unit-test configs ``l1..l4.json``.

One :class:`Problem` per benchmark function (400 = 125 + 125 + 125 + 25), holding the tokenized source in every
language and its five unit tests with typed parameters and expected returns. Problem ids follow G-TransEval's own
result files: ``"%04d-<config name>"`` numbered within a Type, so verdict files can be matched by id.

Malformed data raises :class:`GTransEvalDataError` naming the file and line (or question) at fault.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from codeeff.contracts.languages import DISPLAY_NAMES
from codeeff.formats.gtranseval import LANGUAGES, canonical_language

TYPES = (1, 2, 3, 4)
# G-TransEval's file stem of each language.
LANGUAGE_FILES = dict(DISPLAY_NAMES)  # the benchmark names its files by the languages' display names
SCALAR_TYPES = ("int", "double", "bool", "char", "string", "any")
ANY_SEPARATOR = "|ANY_TYPE_SEP|"


class GTransEvalDataError(ValueError):
    """A G-TransEval data file is missing or malformed; the message names the file and the line or question."""


@dataclass(frozen=True)
class TestCase:
    params: tuple[Any, ...]
    expected: Any


@dataclass(frozen=True)
class Problem:
    index: int  # 0..399 over Type1..Type4 in order (= the line of Type_all/*.test)
    type: int  # 1..4
    number: int  # position within its Type (0-based), as in G-TransEval's result ids
    name: str  # the config's question name, e.g. "greatest_common_divisor"
    params_type: tuple[Any, ...]
    return_type: Any
    tests: tuple[TestCase, ...]
    sources: dict[str, str] = field(compare=False)  # language -> tokenized line

    @property
    def id(self) -> str:
        return f"{self.number:04d}-{self.name}"


def data_root(data_dir: str | Path | None = None) -> Path:
    from codeeff.data import resolve_data_dir

    return resolve_data_dir("gtranseval", data_dir) / "gtranseval"


def _check_type(spec: Any, where: str) -> None:
    if isinstance(spec, str):
        if spec not in SCALAR_TYPES:
            raise GTransEvalDataError(
                f"{where}: unknown type {spec!r} (known: {', '.join(SCALAR_TYPES)}, [T], {{K: V}})"
            )
    elif isinstance(spec, list) and len(spec) == 1:
        _check_type(spec[0], where)
    elif isinstance(spec, dict) and len(spec) == 1:
        key, value = next(iter(spec.items()))
        _check_type(key, where)
        _check_type(value, where)
    else:
        raise GTransEvalDataError(f"{where}: malformed type {spec!r}")


def _check_value(value: Any, spec: Any, where: str) -> None:
    """Validate one config value against its declared type (numbers must parse, containers must match)."""
    if spec == "any":
        if isinstance(value, list) and not value:
            return  # G-TransEval writes an untyped empty list inside [any]
        if not isinstance(value, str) or ANY_SEPARATOR not in value:
            raise GTransEvalDataError(f"{where}: 'any' value {value!r} lacks '{ANY_SEPARATOR}<type>'")
        raw, _, actual = value.partition(ANY_SEPARATOR)
        _check_type(actual, where)
        _check_value(raw, actual, where)
        return
    if isinstance(spec, str):
        if not isinstance(value, str):
            raise GTransEvalDataError(f"{where}: expected a {spec} written as a string, got {value!r}")
        try:
            if spec == "int":
                int(value)
            elif spec == "double":
                float(value)
        except ValueError:
            raise GTransEvalDataError(f"{where}: {value!r} is not a valid {spec}") from None
        if spec == "bool" and value not in ("true", "false"):
            raise GTransEvalDataError(f"{where}: {value!r} is not a bool (true/false)")
        if spec == "char" and len(value) != 1:
            raise GTransEvalDataError(f"{where}: {value!r} is not a single character")
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise GTransEvalDataError(f"{where}: expected a list, got {value!r}")
        for item in value:
            _check_value(item, spec[0], where)
        return
    if not isinstance(value, dict):
        raise GTransEvalDataError(f"{where}: expected a dict, got {value!r}")
    key_spec, value_spec = next(iter(spec.items()))
    for key, item in value.items():
        _check_value(key, key_spec, where)
        _check_value(item, value_spec, where)


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise GTransEvalDataError(f"{path}: file not found")
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last record; some files lack it
    for number, line in enumerate(lines, 1):
        if not line.strip():
            raise GTransEvalDataError(f"{path}:{number}: empty line (one tokenized function per line expected)")
    return lines


def _read_config(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise GTransEvalDataError(f"{path}: file not found")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise GTransEvalDataError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    questions = config.get("questions") if isinstance(config, dict) else None
    if not isinstance(questions, list):
        raise GTransEvalDataError(f"{path}: no 'questions' list")
    for number, question in enumerate(questions):
        where = f"{path}: question {number} ({question.get('name', '?') if isinstance(question, dict) else '?'})"
        if not isinstance(question, dict) or not {"name", "paramsType", "returnType", "tests"} <= set(question):
            raise GTransEvalDataError(f"{where}: needs name, paramsType, returnType, tests")
        for spec in [*question["paramsType"], question["returnType"]]:
            _check_type(spec, where)
        if not question["tests"]:
            raise GTransEvalDataError(f"{where}: no tests")
        for t, test in enumerate(question["tests"]):
            twhere = f"{where}, test {t}"
            if not isinstance(test, dict) or "params" not in test or "return" not in test:
                raise GTransEvalDataError(f"{twhere}: needs params and return")
            if len(test["params"]) != len(question["paramsType"]):
                raise GTransEvalDataError(
                    f"{twhere}: {len(test['params'])} params for {len(question['paramsType'])} declared types"
                )
            for value, spec in zip(test["params"], question["paramsType"], strict=True):
                _check_value(value, spec, twhere)
            _check_value(test["return"], question["returnType"], twhere)
    return questions


@lru_cache(maxsize=4)
def _load(root: Path) -> tuple[Problem, ...]:
    problems: list[Problem] = []
    for type_ in TYPES:
        questions = _read_config(root / "TestRunner" / "config" / f"l{type_}.json")
        sources: dict[str, list[str]] = {}
        for language, stem in LANGUAGE_FILES.items():
            path = root / "G-TransEval" / f"Type{type_}" / f"{stem}.test"
            lines = _read_lines(path)
            if len(lines) != len(questions):
                raise GTransEvalDataError(
                    f"{path}: {len(lines)} functions but l{type_}.json has {len(questions)} questions "
                    "(the files must be line-aligned)"
                )
            sources[language] = lines
        for number, question in enumerate(questions):
            problems.append(
                Problem(
                    index=len(problems),
                    type=type_,
                    number=number,
                    name=question["name"],
                    params_type=tuple(question["paramsType"]),
                    return_type=question["returnType"],
                    tests=tuple(TestCase(tuple(t["params"]), t["return"]) for t in question["tests"]),
                    sources={language: lines[number] for language, lines in sources.items()},
                )
            )
    return tuple(problems)


def load_problems(data_dir: str | Path | None = None, types: tuple[int, ...] = TYPES) -> list[Problem]:
    """All problems (Type1..Type4 in order, = Type_all line order), optionally restricted to some Types."""
    return [p for p in _load(data_root(data_dir)) if p.type in types]


def source_files(data_dir: str | Path | None = None) -> list[Path]:
    root = data_root(data_dir)
    files = [root / "TestRunner" / "config" / f"l{t}.json" for t in TYPES]
    files += [root / "G-TransEval" / f"Type{t}" / f"{stem}.test" for t in TYPES for stem in LANGUAGE_FILES.values()]
    return files


def data_fingerprint(data_dir: str | Path | None = None) -> str:
    """sha256 over every file the loader reads (recorded in run provenance)."""
    digest = hashlib.sha256()
    for path in source_files(data_dir):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def language(name: str) -> str:
    """Accept short names (py, cs, js) and G-TransEval names (C++, C#) as well as codeeff's."""
    return canonical_language(name)


__all__ = [
    "LANGUAGES",
    "Problem",
    "TestCase",
    "GTransEvalDataError",
    "load_problems",
    "data_root",
    "data_fingerprint",
]
