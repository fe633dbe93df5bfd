"""G-TransEval test driver for Python candidates (record protocol v1, see codeeff/tasks/gtranseval/verdict.py).

Runs inside the sandbox next to ``candidate.py``, ``gte_input.json`` and ``gte_nonce``. It knows the test inputs
only: for each test id it calls the candidate's entry function and prints one framed record with the returned value
(or the exception). The host compares the values with the expected ones; nothing here decides pass or fail.
"""

import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
PRELUDE = (
    "from collections import *\nfrom typing import *\nimport itertools\nimport functools\nimport math\nimport sys\n"
)
MAX_DEPTH = 200


def read_nonce():
    path = os.path.join(HERE, "gte_nonce")
    with open(path, encoding="ascii") as fh:
        nonce = fh.read().strip()
    try:
        os.unlink(path)
    except OSError:
        pass
    return nonce


NONCE = read_nonce()
_write = os.write
_dumps = json.dumps
_out = os.dup(1)  # records go to a private copy of stdout


def emit(record):
    line = "\n@@GTE:" + NONCE + "@@" + _dumps(record, ensure_ascii=True) + "\n"
    data = line.encode("ascii")
    while data:
        data = data[_write(_out, data) :]


def describe(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]


def encode(value, depth=0):
    """The wire form of a returned value (exact types; subclasses keep their base type's value)."""
    if depth > MAX_DEPTH:
        return ["other", f"nesting deeper than {MAX_DEPTH}"]
    if value is None:
        return ["null"]
    if isinstance(value, bool):
        return ["bool", bool.__bool__(value)]
    if isinstance(value, int):
        return ["int", int.__repr__(value), "int"]
    if isinstance(value, float):
        return ["float", float.__repr__(value), "float"]
    if isinstance(value, str):
        return ["str", str.__str__(value), "str"]
    if isinstance(value, dict):
        return ["map", [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in dict.items(value)], "dict"]
    for kind, base in (("list", list), ("tuple", tuple), ("set", set), ("set", frozenset)):
        if isinstance(value, base):
            return ["list", [encode(v, depth + 1) for v in base.__iter__(value)], kind]
    return ["other", type(value).__name__]


def decode(wire):
    """A Python value from an input's wire form (fresh objects on every call)."""
    tag = wire[0]
    if tag == "null":
        return None
    if tag == "bool":
        return wire[1]
    if tag == "int":
        return int(wire[1])
    if tag == "float":
        return float(wire[1])
    if tag == "str":
        return wire[1]
    if tag == "list":
        return [decode(v) for v in wire[1]]
    if tag == "map":
        return {decode(k): decode(v) for k, v in wire[1]}
    raise ValueError(f"unknown input tag {tag!r}")


def load_entry(source, entry):
    """The function under test, or ``None`` after an error record."""
    try:
        code = compile(source, "candidate.py", "exec")
    except (SyntaxError, ValueError) as exc:
        emit({"error": "syntax", "detail": f"line {getattr(exc, 'lineno', '?')}: {exc}"})
        return None
    if entry is None:
        emit({"error": "no_function", "detail": "the candidate defines no function"})
        return None
    namespace = {"__name__": "candidate"}
    try:
        exec(compile(PRELUDE, "<prelude>", "exec"), namespace)
        exec(code, namespace)
        if entry["owner"] is None:
            return namespace[entry["name"]]
        owner = namespace[entry["owner"]]
        return getattr(owner if entry["static"] else owner(), entry["name"])
    except BaseException as exc:
        emit({"error": "load", "detail": describe(exc)})
        return None


def main():
    with open(os.path.join(HERE, "gte_input.json"), encoding="utf-8") as fh:
        spec = json.load(fh)
    with open(os.path.join(HERE, "candidate.py"), encoding="utf-8") as fh:
        source = fh.read()
    sys.setrecursionlimit(100000)
    function = load_entry(source, spec["entry"])
    if function is not None:
        for test_id, args in enumerate(spec["tests"]):
            try:
                value = function(*[decode(a) for a in args])
            except BaseException as exc:
                emit({"id": test_id, "raised": describe(exc)})
                continue
            try:
                wire = encode(value)
            except BaseException as exc:
                wire = ["other", "unencodable: " + describe(exc)]
            emit({"id": test_id, "value": wire})
    try:
        sys.stdout.flush()
    except BaseException:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
