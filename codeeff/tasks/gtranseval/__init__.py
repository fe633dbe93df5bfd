"""G-TransEval (ASE 2023) as lm-eval tasks: code translation between Python, Java, C++, C# and JavaScript, scored by
computational accuracy (unit tests in codeeff's sandbox), CodeBLEU, BLEU and edit similarity, per Type 1-4.

Kept light on purpose (no torch / lm-eval imports): the sandbox benchmark imports :func:`reference_jobs` from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def reference_jobs(target_lang: str, data_dir: str | Path | None = None) -> list[Any]:
    """The sandbox jobs testing the 400 reference solutions of ``target_lang`` (python, java, cpp, javascript)."""
    from codeeff.formats.gtranseval import canonical_language, detokenize
    from codeeff.tasks.gtranseval.harness import build_job
    from codeeff.tasks.gtranseval.problems import load_problems

    language = canonical_language(target_lang)
    return [build_job(p, detokenize(p.sources[language], language), language).job for p in load_problems(data_dir)]


__all__ = ["reference_jobs"]
