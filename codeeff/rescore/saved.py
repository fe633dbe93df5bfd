"""Saved generations: lm-eval samples files (``--log_samples``) and plain prediction files, read strictly.

Every problem is reported with the file (and line) and what is wrong, before anything heavy is imported.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAMPLES_NAME = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.]+)\.jsonl$")


class SavedGenerationsError(ValueError):
    """Saved generations that cannot be replayed; the message names the file (and line) and what is wrong."""


@dataclass
class SavedDoc:
    """Everything saved for one document: raw responses per request (``idx``) and per repeat, plus checks."""

    doc_id: int
    responses: list[list[Any]]
    doc_hash: str | None = None
    prompt_hash: str | None = None
    numbers: dict[str, float] = field(default_factory=dict)  # the record's numeric fields (cost figures among them)


@dataclass
class SavedRun:
    """What a samples or predictions file holds, plus the live run's results JSON when it sits beside it."""

    path: Path
    kind: str  # "samples" | "predictions"
    docs: dict[int, SavedDoc]
    original_results: dict[str, Any] | None = None
    original_results_path: Path | None = None


def _json_lines(path: Path) -> Iterable[tuple[int, Any]]:
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield lineno, json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SavedGenerationsError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None


def _as_int(value: Any, where: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SavedGenerationsError(f"{where}: '{what}' must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise SavedGenerationsError(f"{where}: '{what}' must be an integer, got {value!r}") from None


def read_samples(path: str | os.PathLike) -> dict[int, SavedDoc]:
    """An lm-eval ``samples_*.jsonl`` (``--log_samples``), one :class:`SavedDoc` per ``doc_id``.

    lm-eval writes one record per (document, filter) with identical raw ``resps``; they are merged.
    """
    path = Path(path)
    docs: dict[int, SavedDoc] = {}
    for lineno, record in _json_lines(path):
        where = f"{path}:{lineno}"
        if not isinstance(record, dict) or "doc_id" not in record or "resps" not in record:
            raise SavedGenerationsError(f"{where}: not an lm-eval sample record (needs 'doc_id' and 'resps')")
        doc_id = _as_int(record["doc_id"], where, "doc_id")
        resps = record["resps"]
        if not isinstance(resps, list) or not all(isinstance(r, list) for r in resps):
            raise SavedGenerationsError(f"{where}: 'resps' must be a list (one per request) of lists (one per repeat)")
        if doc_id in docs:
            if docs[doc_id].responses != resps:
                raise SavedGenerationsError(f"{where}: doc_id {doc_id} appears twice with different responses")
            continue
        numbers = {k: float(v) for k, v in record.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        docs[doc_id] = SavedDoc(doc_id, resps, record.get("doc_hash"), record.get("prompt_hash"), numbers)
    if not docs:
        raise SavedGenerationsError(f"{path}: no sample records")
    return docs


PREDICTION_FORMATS = ("raw", "gte", "transcoder")
TRANSCODER_DELIMITER = "***Example ends here:"


def read_predictions(path: str | os.PathLike, fmt: str = "raw") -> dict[int, SavedDoc]:
    """One prediction per document, in document order.

    ``raw`` — ``.jsonl``/``.json``: one JSON value per line — a string, or an object with ``prediction`` (a string)
    or ``resps`` (list of strings, one per repeat) and optionally ``doc_id`` (default: the line's position); any other
    file: one prediction per line, verbatim (so a prediction cannot hold a newline; use JSONL for that).
    ``gte`` — G-TransEval's published translations: one space-tokenized translation per line (detokenized into the
    task's target language by :func:`rescore`). ``transcoder`` — TransCoder's raw code, each output followed by a
    line ``***Example ends here:``.
    """
    path = Path(path)
    if fmt not in PREDICTION_FORMATS:
        raise SavedGenerationsError(f"unknown predictions format '{fmt}'; known: {', '.join(PREDICTION_FORMATS)}")
    docs: dict[int, SavedDoc] = {}
    if fmt == "transcoder":
        chunks, current = [], []
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.startswith(TRANSCODER_DELIMITER):
                chunks.append("\n".join(current).strip("\n") + "\n")
                current = []
            else:
                current.append(line)
        if "\n".join(current).strip():
            raise SavedGenerationsError(f"{path}: text after the last '{TRANSCODER_DELIMITER}' line (a cut file?)")
        docs = {i: SavedDoc(i, [[code]]) for i, code in enumerate(chunks)}
    elif path.suffix in (".jsonl", ".json") and fmt == "raw":
        for position, (lineno, value) in enumerate(_json_lines(path)):
            where = f"{path}:{lineno}"
            doc_id = position
            if isinstance(value, str):
                repeats = [value]
            elif isinstance(value, dict) and isinstance(value.get("prediction"), str):
                repeats = [value["prediction"]]
            elif isinstance(value, dict) and isinstance(value.get("resps"), list):
                repeats = [str(r) for r in value["resps"]]
            else:
                raise SavedGenerationsError(f"{where}: expected a string or an object with 'prediction' or 'resps'")
            if isinstance(value, dict) and "doc_id" in value:
                doc_id = _as_int(value["doc_id"], where, "doc_id")
            if doc_id in docs:
                raise SavedGenerationsError(f"{where}: doc_id {doc_id} given twice")
            docs[doc_id] = SavedDoc(doc_id, [repeats])
    else:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        docs = {i: SavedDoc(i, [[line.rstrip("\r")]]) for i, line in enumerate(lines)}
    if not docs:
        raise SavedGenerationsError(f"{path}: no predictions")
    return docs


def sibling_results(samples_path: Path) -> Path | None:
    """The ``results_<date>.json`` lm-eval wrote next to ``samples_<task>_<date>.jsonl`` in the same run."""
    match = SAMPLES_NAME.match(samples_path.name)
    if not match:
        return None
    candidate = samples_path.with_name(f"results_{match.group('date')}.json")
    return candidate if candidate.is_file() else None


def load_saved_run(
    samples: str | os.PathLike | None, predictions: str | os.PathLike | None, predictions_format: str = "raw"
) -> SavedRun:
    if (samples is None) == (predictions is None):
        raise ValueError("give exactly one of --samples or --predictions")
    path = Path(samples or predictions)  # type: ignore[arg-type]
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if samples is not None:
        run = SavedRun(path, "samples", read_samples(path))
        results_path = sibling_results(path)
        if results_path is not None:
            run.original_results = json.loads(results_path.read_text(encoding="utf-8"))
            run.original_results_path = results_path
        return run
    return SavedRun(path, "predictions", read_predictions(path, predictions_format))
