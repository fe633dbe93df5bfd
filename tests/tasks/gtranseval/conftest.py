"""Shared fixtures of the G-TransEval tests: the real problems and a sandbox runner for candidate code."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def problems(data_dir):
    from codeeff.tasks.gtranseval.problems import load_problems

    return load_problems(data_dir)


@pytest.fixture(scope="session")
def run_candidate(tmp_path_factory):
    """Run ``(problem, code, language)`` triples in the real sandbox (private exec cache) and return outcome dicts."""
    import os

    from codeeff.tasks.gtranseval.task import run_candidates

    os.environ.setdefault("CODEEFF_CACHE_DIR", str(tmp_path_factory.mktemp("codeeff-cache")))

    def run(items):
        docs = [(p, code, {"target_lang": lang, "source_lang": "java", "task_name": "test"}) for p, code, lang in items]
        return run_candidates(docs, progress=False)

    return run


@pytest.fixture(scope="session")
def codeeff_cli():
    """The root conftest's ``run_codeeff`` (this folder's conftest shadows the module name ``conftest``)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("_root_conftest", Path(__file__).resolve().parents[2] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run_codeeff
