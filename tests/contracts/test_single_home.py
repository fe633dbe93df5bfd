"""No vocabulary of codeeff.contracts is defined a second time anywhere else in the package."""

from __future__ import annotations

import ast
from collections import Counter

from vocabulary_scan import _copies_in as copies_in
from vocabulary_scan import find_copies

# Copies not yet replaced by imports from codeeff.contracts: file -> number of copies the scan finds there.
# Switching a file removes its entry; the test fails on any copy not listed and on any entry that is out of date.
PENDING: dict[str, int] = {}


def test_no_vocabulary_is_defined_twice():
    copies = find_copies()
    found = Counter(copy.path for copy in copies)
    unexpected = [str(c) for c in copies if found[c.path] > PENDING.get(c.path, 0)]
    assert not unexpected, "define these in codeeff.contracts and import them:\n" + "\n".join(unexpected)
    stale = {path: (count, found[path]) for path, count in PENDING.items() if found[path] != count}
    assert not stale, f"PENDING is out of date (file: (listed, found)); lower or remove the entries: {stale}"


def _scan(source: str) -> list[str]:
    return [copy.what for copy in copies_in(ast.parse(source), "example.py")]


def test_the_scan_finds_each_kind_of_copy():
    assert _scan('COST = ("flops", "latency_s")') == ["sample cost metrics: flops, latency_s"]
    assert _scan('if status in {"timeout", "cpu_limit"}: pass') == ["sandbox statuses: cpu_limit, timeout"]
    assert _scan('KINDS = {"failed": "wrong_answer", "cpu_limit": "timeout"}') == [
        "mapping between vocabulary names: cpu_limit, failed"
    ]
    assert _scan('NAMES = {"cpp": "C++", "csharp": "C#"}') == ["language display names: cpp, csharp"]
    assert _scan('ALL = ["python", "java", "cpp", "csharp", "javascript"]') == [
        "languages: cpp, csharp, java, javascript, python"
    ]
    assert _scan('SCHEMA = "codeeff.efficiency/1"') == ["schema name codeeff.efficiency/1"]
    assert _scan('COLS = ("train_wall_s", "train_tokens")') == ["training cost columns: train_tokens, train_wall_s"]
    assert _scan('name = f"gtranseval_{src}2{tgt}"') == ["G-TransEval task name rebuilt (codeeff.contracts.task_names)"]


def test_the_scan_leaves_single_names_and_language_properties_alone():
    assert _scan('x = ("flops", 3); y = {"flops": 1.0, "total": 2}') == []
    assert _scan('GENERICS = ("java", "cpp", "csharp")') == []  # a property of some languages, not the list
    assert _scan('FILES = {"python": "main.py", "java": "Main.java"}') == []  # per-language data
    assert _scan('name = f"gtranseval_{direction}_type{t}"') == []
