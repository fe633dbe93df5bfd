"""Print the lowest and the highest transformers release pyproject.toml allows: `LOW HIGH` (for the range test).

The range must have an inclusive lower bound (>=) and an inclusive upper bound (<=) naming a tested release.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def transformers_bounds(pyproject: Path = PYPROJECT) -> tuple[str, str]:
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    (spec,) = [d for d in dependencies if re.match(r"transformers\s*[<>=!~]", d)]
    low = re.search(r">=\s*([\w.]+)", spec)
    high = re.search(r"<=\s*([\w.]+)", spec)
    if not (low and high):
        raise SystemExit(f"transformers_range: '{spec}' needs an inclusive lower (>=) and upper (<=) bound")
    return low.group(1), high.group(1)


if __name__ == "__main__":
    print(*transformers_bounds(Path(sys.argv[1]) if len(sys.argv) > 1 else PYPROJECT))
