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
    """A tracker to hand to ``simple_evaluate(evaluation_tracker=...)``, its staging folder, and the folder the
    files end up in."""

    folder: Path
    staging: Path
    tracker: Any  # lm_eval.loggers.EvaluationTracker writing into the staging folder

    @classmethod
    def into(cls, output: str | os.PathLike) -> ResultsWriter:
        """Files for ``output`` as lm-eval's ``--output_path`` means it: a folder, or a ``.json`` path naming the
        results file (``<stem>_<date>.json``, samples beside it)."""
        from lm_eval.loggers import EvaluationTracker

        out = Path(output)
        names_file = out.suffix == ".json"
        folder = out.parent if names_file else out
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
        return cls(folder, staging, EvaluationTracker(output_path=str(staging / out.name if names_file else staging)))

    def write(self, results: dict[str, Any], samples: dict[str, list] | None) -> tuple[Path, list[Path]]:
        """Save ``results`` (and, when given, the samples of every task in ``results["configs"]``); return the
        results file and the samples files in their final places."""
        from codeeff.results_hook import annotate_results

        staging = self.staging
        try:
            self.tracker.save_results_aggregated(results=annotate_results(results), samples=samples)
            for task_name in results["configs"] if samples is not None else ():
                self.tracker.save_results_samples(task_name=task_name, samples=samples.get(task_name, []))
            written = sorted(p for p in staging.rglob("*") if p.is_file())
            if not any(p.suffix == ".json" for p in written):
                raise OSError(f"lm-eval could not write the results into {staging} (see its log above)")
            for task_name in results["configs"] if samples is not None else ():
                _check_samples_file(written, task_name, len(samples.get(task_name, [])), staging)
            moved: list[Path] = []
            for path in written:
                target = self.folder / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                moved.append(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        results_path = next(p for p in moved if p.suffix == ".json")
        return results_path, [p for p in moved if p.suffix == ".jsonl"]

    def discard(self) -> None:
        """Remove the staging folder of a run that did not finish."""
        shutil.rmtree(self.staging, ignore_errors=True)


def _check_samples_file(written: list[Path], task_name: str, expected: int, staging: Path) -> None:
    """lm-eval appends samples one line each and only logs a failure: a short or missing file is an error here."""
    path = next((p for p in written if p.suffix == ".jsonl" and p.name.startswith(f"samples_{task_name}_")), None)
    lines = len(path.read_text(encoding="utf-8").splitlines()) if path is not None else 0
    if expected and lines != expected:
        raise OSError(
            f"lm-eval wrote {lines} of the {expected} samples of {task_name} into {staging} (see its log above)"
        )
