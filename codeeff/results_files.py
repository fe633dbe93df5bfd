"""Writing lm-eval's output layout (``OUT/<model>/results_<date>.json`` + ``samples_<task>_<date>.jsonl``) whole.

One writer for every codeeff path that saves results (``codeeff.evaluate``, ``codeeff score``, ``codeeff demo``):
lm-eval's own ``EvaluationTracker`` writes the files, into a private staging folder inside ``OUT``; each finished
file is then moved into place with ``os.replace``, so ``OUT`` never holds a half-written file. The tracker only logs
its write errors, so a missing results file is turned into an error here. The results get ``results["codeeff"]``
(:func:`codeeff.results_hook.annotate_results`) on the way out.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STAGING_PREFIX = ".codeeff-results-"


@dataclass(frozen=True)
class ResultsWriter:
    """A tracker to hand to ``simple_evaluate(evaluation_tracker=...)`` and the folder its files end up in."""

    output: Path
    tracker: Any  # lm_eval.loggers.EvaluationTracker writing into the staging folder

    @classmethod
    def into(cls, output: str | os.PathLike) -> ResultsWriter:
        from lm_eval.loggers import EvaluationTracker

        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out)
        return cls(out, EvaluationTracker(output_path=staging))

    def write(self, results: dict[str, Any], samples: dict[str, list] | None) -> tuple[Path, list[Path]]:
        """Save ``results`` (and, when given, the samples of every task in ``results["configs"]``); return the
        results file and the samples files in their final places."""
        from codeeff.results_hook import annotate_results

        staging = Path(self.tracker.output_path)
        try:
            self.tracker.save_results_aggregated(results=annotate_results(results), samples=samples)
            for task_name in results["configs"] if samples is not None else ():
                self.tracker.save_results_samples(task_name=task_name, samples=samples.get(task_name, []))
            written = sorted(p for p in staging.rglob("*") if p.is_file())
            if not any(p.name.startswith("results_") for p in written):
                raise OSError(f"lm-eval could not write the results into {staging} (see its log above)")
            moved: list[Path] = []
            for path in written:
                target = self.output / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                moved.append(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        results_path = next(p for p in moved if p.name.startswith("results_"))
        return results_path, [p for p in moved if p.name.startswith("samples_")]

    def discard(self) -> None:
        """Remove the staging folder of a run that did not finish."""
        shutil.rmtree(self.tracker.output_path, ignore_errors=True)
