"""`import codeeff` and the tasks, metrics and leaderboard packages (with every module in them) load no torch.

Measured the way a user would, in a fresh interpreter: ``sys.modules`` after the imports says whether torch or
transformers was loaded; the ``python -X importtime`` report, which nests every module under its importer, names the
chain of imports that pulled it in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from codeeff_support import REPO

HEAVY = ("torch", "transformers")

# Each package is imported together with all of its modules (pkgutil.walk_packages), so a task or metric module that
# pulls in torch fails here even when the package's __init__ does not import it. `import` statements, not
# importlib.import_module: -X importtime leaves out the module importlib.import_module was asked for.
IMPORT_ALL = """
import json, pkgutil, sys
exec(f"import {sys.argv[1]} as package")
if sys.argv[2] == "all":
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        exec(f"import {info.name}")
print(json.dumps(sorted(sys.modules)))
"""


def import_fresh(module: str, submodules: bool, path: str = str(REPO)) -> tuple[set[str], list[tuple[int, str]]]:
    """The modules loaded by importing ``module`` (and its submodules) in a new interpreter with ``path`` first on
    sys.path, and the (depth, name) rows of its ``-X importtime`` report in report order (a child before its parent)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [path, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORT_ALL, module, "all" if submodules else "one"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, f"importing {module} failed:\n{proc.stderr[-3000:]}"
    report = [line for line in proc.stderr.splitlines() if line.startswith("import time:")]
    rows = []
    for line in report[1:]:  # report[0] is the header: "self [us] | cumulative | imported package"
        name_field = line.rsplit("|", 1)[1]
        depth = (len(name_field) - len(name_field.lstrip(" ")) - 1) // 2
        rows.append((depth, name_field.strip()))
    return set(json.loads(proc.stdout.splitlines()[-1])), rows


def import_chain(rows: list[tuple[int, str]], index: int) -> list[str]:
    """The importers of ``rows[index]`` up to the top level: each parent is the next row with a smaller depth."""
    depth, name = rows[index]
    chain = [name]
    for later_depth, later_name in rows[index + 1 :]:
        if later_depth < depth:
            chain.append(later_name)
            depth = later_depth
    return chain[::-1]


def test_the_importtime_report_names_the_chain_of_importers(tmp_path):
    package = tmp_path / "chainpkg"
    package.mkdir()
    (package / "__init__.py").write_text("from chainpkg import middle\n")
    (package / "middle.py").write_text("import chainpkg.leaf\n")
    (package / "leaf.py").write_text("")
    loaded, rows = import_fresh("chainpkg", submodules=False, path=str(tmp_path))
    names = [name for _, name in rows]
    assert {"chainpkg", "chainpkg.middle", "chainpkg.leaf"} <= loaded
    assert import_chain(rows, names.index("chainpkg.leaf")) == ["chainpkg", "chainpkg.middle", "chainpkg.leaf"]


@pytest.mark.parametrize(
    ("module", "submodules"),
    [("codeeff", False), ("codeeff.tasks", True), ("codeeff.metrics", True), ("codeeff.leaderboard", True)],
)
def test_import_loads_no_torch(module, submodules):
    loaded, rows = import_fresh(module, submodules)
    heavy = sorted(name for name in loaded if name in HEAVY)
    chains = [import_chain(rows, i) for i, (_, name) in enumerate(rows) if name in heavy]
    assert not heavy, f"importing {module} loads {', '.join(heavy)}" + "".join(
        "\n  " + " -> ".join(chain) for chain in chains
    )
