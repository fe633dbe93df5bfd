"""The test tree's own rule: test folders have no ``__init__.py`` (pytest's default import mode puts each folder on
``sys.path``), so two test modules with one basename in different folders break collection of the whole suite."""

from collections import Counter
from pathlib import Path


def test_test_module_basenames_are_unique():
    names = Counter(path.name for path in Path(__file__).parent.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
