"""Find second copies of the contract's vocabularies in codeeff's source (an AST scan, no imports of the modules).

A copy is a literal tuple, list or set holding two or more names of one vocabulary (a list of names is a definition
of that vocabulary), a dict literal mapping names of a vocabulary to names of a vocabulary (a translation between
vocabularies, e.g. sandbox status -> verdict kind), a dict literal repeating two or more entries of a contract
mapping, a string literal equal to one of the record schema names, or an f-string rebuilding a G-TransEval task
name. Languages are the exception to "two or more": a subset of languages is a property of those languages (which
have generics, which read stdin), so only a collection naming every language counts as a copy of the list.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from codeeff.contracts import cost, execution, languages, records, task_names

PACKAGE = Path(__file__).resolve().parents[2] / "codeeff"
CONTRACTS = PACKAGE / "contracts"

VOCABULARIES: dict[str, frozenset[str]] = {
    "sample cost metrics": frozenset(cost.SAMPLE_COST_METRICS),
    "efficiency figures": frozenset(cost.EFFICIENCY_FIGURE_NAMES),
    "sandbox statuses": frozenset(execution.SANDBOX_STATUSES),
    "verdict kinds": frozenset(execution.VERDICT_KINDS),
    "languages": frozenset(languages.LANGUAGES),
    "training cost columns": frozenset(records.TRAINING_COST_COLUMNS),
}
MAPPINGS: dict[str, dict[str, str]] = {
    "language display names": languages.DISPLAY_NAMES,
    "sandbox status -> verdict kind": execution.SANDBOX_TO_VERDICT,
}
SCHEMA_NAMES = frozenset(
    (records.LEADERBOARD_SCHEMA, records.EFFICIENCY_SCHEMA, records.VARIANT_SCHEMA, records.REGRESS_SCHEMA)
)
# How many names of a vocabulary make a collection a copy of it.
MIN_NAMES: dict[str, int] = {name: 2 for name in VOCABULARIES} | {"languages": len(languages.LANGUAGES)}
TRANSLATABLE = frozenset().union(*(names for name, names in VOCABULARIES.items() if name != "languages"))


@dataclass(frozen=True)
class Copy:
    path: str  # relative to the repository root
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _strings(nodes: list[ast.expr | None]) -> list[str]:
    return [n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _rebuilds_task_name(node: ast.JoinedStr) -> bool:
    """``f"gtranseval_{a}2{b}..."``: the direction's task name spelled out instead of asked for."""
    parts = node.values
    return (
        len(parts) >= 4
        and isinstance(parts[0], ast.Constant)
        and parts[0].value == task_names.GTRANSEVAL_PREFIX
        and isinstance(parts[1], ast.FormattedValue)
        and isinstance(parts[2], ast.Constant)
        and str(parts[2].value).startswith("2")
        and isinstance(parts[3], ast.FormattedValue)
    )


def _copies_in(tree: ast.AST, path: str) -> Iterator[Copy]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            values = set(_strings(node.elts))
            for vocabulary, names in VOCABULARIES.items():
                found = values & names
                if len(found) >= MIN_NAMES[vocabulary]:
                    yield Copy(path, node.lineno, f"{vocabulary}: {', '.join(sorted(found))}")
        elif isinstance(node, ast.Dict):
            pairs = [
                (k.value, v.value)
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(v, ast.Constant) and isinstance(k.value, str)
            ]
            translated = [k for k, v in pairs if k in TRANSLATABLE and v in TRANSLATABLE]
            language_pairs = [k for k, v in pairs if k in languages.LANGUAGES and v in languages.LANGUAGES]
            if len(language_pairs) >= MIN_NAMES["languages"]:
                translated += language_pairs
            if len(translated) >= 2:
                yield Copy(path, node.lineno, f"mapping between vocabulary names: {', '.join(sorted(translated))}")
                continue
            for mapping_name, mapping in MAPPINGS.items():
                repeated = [k for k, v in pairs if mapping.get(k) == v]
                if len(repeated) >= 2:
                    yield Copy(path, node.lineno, f"{mapping_name}: {', '.join(sorted(repeated))}")
        elif isinstance(node, ast.JoinedStr) and _rebuilds_task_name(node):
            yield Copy(path, node.lineno, "G-TransEval task name rebuilt (codeeff.contracts.task_names)")
        elif isinstance(node, ast.Constant) and node.value in SCHEMA_NAMES:
            yield Copy(path, node.lineno, f"schema name {node.value}")


def find_copies(root: Path = PACKAGE) -> list[Copy]:
    """Every copy of a contract vocabulary in the ``.py`` files under ``root`` outside ``codeeff/contracts``."""
    copies: list[Copy] = []
    for file in sorted(root.rglob("*.py")):
        if CONTRACTS in file.parents:
            continue
        relative = file.relative_to(root.parent).as_posix()
        copies.extend(_copies_in(ast.parse(file.read_text(encoding="utf-8"), filename=str(file)), relative))
    return copies
