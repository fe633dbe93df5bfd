"""Scoring whole run folders, split into shards across machines, and merging the shards.

A run folder is what ``codeeff run --output_path DIR --log_samples`` (or ``--predict_only``) writes:
``DIR/<model>/samples_<task>_<date>.jsonl`` beside ``results_<date>.json``. :func:`score_run_dir` scores every task
found there (the newest samples file per model folder and task). With ``shard=(i, n)`` each machine scores every n-th
document from the i-th; :func:`merge_shards` then joins the shards' per-sample metrics and aggregates them with the
task's own aggregations through lm-eval (no generated code is executed again), giving the results of one unsharded
scoring.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from codeeff.rescore.engine import Rescored, rescore
from codeeff.rescore.saved import SAMPLES_NAME, SavedGenerationsError, sibling_results


def find_samples(run_dir: Path, exclude: Path | None = None) -> dict[tuple[Path, str], Path]:
    """``(folder, task) -> newest samples file`` under ``run_dir`` (anything inside ``exclude`` is skipped)."""
    found: dict[tuple[Path, str], Path] = {}
    dates: dict[tuple[Path, str], str] = {}
    excluded = exclude.resolve() if exclude is not None else None
    for path in sorted(run_dir.rglob("samples_*.jsonl")):
        if excluded is not None and excluded in path.resolve().parents:
            continue
        match = SAMPLES_NAME.match(path.name)
        if not match:
            continue
        key = (path.parent, match.group("task"))
        if key not in found or match.group("date") > dates[key]:
            found[key], dates[key] = path, match.group("date")
    return found


def default_output(run_dir: Path) -> Path:
    return run_dir / "scored"


def score_run_dir(
    run_dir: str | os.PathLike,
    output: str | os.PathLike | None = None,
    *,
    shard: tuple[int, int] | None = None,
    limit: int | None = None,
    **options: Any,
) -> list[Rescored]:
    """Score every task of a run folder (``options`` as for :func:`~codeeff.rescore.engine.rescore`)."""
    root = Path(run_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"no such run folder: {root}")
    out = Path(output) if output is not None else default_output(root)
    files = find_samples(root, exclude=out)
    if not files:
        raise SavedGenerationsError(
            f"{root}: no samples_<task>_<date>.jsonl (generate with --log_samples or --predict_only)"
        )
    return [
        rescore(task, samples=path, output=out, shard=shard, limit=limit, **options)
        for (_, task), path in sorted(files.items())
    ]


def _shard_parts(shard_dirs: list[Path]) -> dict[tuple[str, str], list[tuple[tuple[int, int], Path, dict]]]:
    """``(model folder name, task) -> [(shard, samples file, results JSON)]`` over the shards' output folders."""
    parts: dict[tuple[str, str], list[tuple[tuple[int, int], Path, dict]]] = defaultdict(list)
    for shard_dir in shard_dirs:
        found = find_samples(shard_dir)
        if not found:
            raise SavedGenerationsError(f"{shard_dir}: no scored samples (the --output of `codeeff score --shard`)")
        for (folder, task), path in found.items():
            results_path = sibling_results(path)
            if results_path is None:
                raise SavedGenerationsError(f"{path}: no results_<date>.json beside it")
            results = json.loads(results_path.read_text(encoding="utf-8"))
            spec = ((results.get("config") or {}).get("rescored") or {}).get("shard")
            if not spec:
                raise SavedGenerationsError(f"{results_path}: not a shard (scored without --shard)")
            index, count = (int(x) for x in str(spec).split("/"))
            parts[(folder.name, task)].append(((index, count), path, results))
    return parts


def _check_complete(task: str, parts: list[tuple[tuple[int, int], Path, dict]]) -> None:
    counts = {count for (_, count), _, _ in parts}
    if len(counts) != 1:
        raise SavedGenerationsError(f"{task}: shards of different splits ({sorted(counts)} shards) cannot be merged")
    count = counts.pop()
    indices = sorted(index for (index, _), _, _ in parts)
    if indices != list(range(count)):
        missing = sorted(set(range(count)) - set(indices))
        repeated = sorted({i for i in indices if indices.count(i) > 1})
        raise SavedGenerationsError(
            f"{task}: shards {missing} of {count} missing" if missing else f"{task}: shard(s) {repeated} given twice"
        )
    limits = {((r.get("config") or {}).get("rescored") or {}).get("limit") for _, _, r in parts}
    if len(limits) != 1:
        raise SavedGenerationsError(f"{task}: the shards were scored with different --limit values {sorted(limits)}")


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _merged_source(parts: list[tuple[tuple[int, int], Path, dict]]) -> dict[str, Any]:
    """Where a merge's generations came from: the file the shards scored (the same for all of them, else the merge
    is refused) and the shards' own results files, instead of the temporary copy the merge replays."""
    blocks = [((results.get("config") or {}).get("rescored") or {}) for _, _, results in parts]
    origins = {(b.get("from"), b.get("kind"), b.get("original_results"), b.get("predictions_format")) for b in blocks}
    if len(origins) != 1:
        sources = sorted(str(origin[0]) for origin in origins)
        raise SavedGenerationsError(f"shards scored from different files cannot be merged: {', '.join(sources)}")
    origin, kind, original_results, predictions_format = origins.pop()
    shards = sorted(parts, key=lambda part: part[0][0])
    return {
        "from": origin,
        "kind": kind,
        "original_results": original_results,
        "predictions_format": predictions_format,
        "merged_shards": [str(sibling_results(path)) for _, path, _ in shards],
    }


def merge_shards(shard_dirs: list[str | os.PathLike], output: str | os.PathLike, **options: Any) -> list[Rescored]:
    """Join the shards of every task and aggregate them as one scoring would (nothing is executed again).

    The merged results record the file the shards scored as their source (``config.rescored.from``) and the shards'
    results files (``config.rescored.merged_shards``).
    """
    from codeeff.provenance import record_sandbox

    outcomes = []
    for (_, task), parts in sorted(_shard_parts([Path(d) for d in shard_dirs]).items()):
        _check_complete(task, parts)
        records = sorted((r for _, path, _ in parts for r in _records(path)), key=lambda r: r["doc_id"])
        if len({r.get("filter") for r in records}) != 1:
            raise SavedGenerationsError(f"{task}: merging tasks with several filters is not supported")
        ids = [r["doc_id"] for r in records]
        if len(set(ids)) != len(ids):
            raise SavedGenerationsError(f"{task}: a document appears in more than one shard")
        saved = {r["doc_id"]: {name: r[name] for name in r["metrics"]} for r in records}
        first = min(parts, key=lambda part: part[0][0])[2]
        rescored = first["config"]["rescored"]
        for _, _, results in parts:
            sandbox = ((results.get("codeeff") or {}).get("sandbox") or {}).get(task)
            if sandbox:
                record_sandbox(task, **sandbox)
        with tempfile.TemporaryDirectory(prefix="codeeff-merge-") as tmp:
            stamp = SAMPLES_NAME.match(parts[0][1].name).group("date")
            samples = Path(tmp) / f"samples_{task}_{stamp}.jsonl"
            samples.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
            (Path(tmp) / f"results_{stamp}.json").write_text(json.dumps(first), encoding="utf-8")
            outcomes.append(
                rescore(
                    task,
                    samples=samples,
                    metadata=rescored.get("metadata") or {},
                    output=output,
                    limit=rescored.get("limit"),
                    saved_metrics=saved,
                    source=_merged_source(parts),
                    confirm_run_unsafe_code=True,  # the shards' metrics are reused: nothing is executed
                    **options,
                )
            )
    return outcomes
