"""The evaluation runs of ``codeeff bench train``: one ``codeeff run`` of ``py150_ctx30`` per variant (resumable,
two at a time), their FLOPs and quality ratios to the dense runs, and the classifier threshold chosen on other
documents (``--select-docs``)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TASK = "py150_ctx30"
FLOPS_TARGET = 0.80
QUALITY_TARGET = 0.90
Job = tuple[Path, str | None, Path, list[str]]  # one evaluation run: model, variant file, output folder, extra args


def codeeff_subprocess(args: list[str], log: Path, threads: int | None = None) -> tuple[list[str], float]:
    command = [sys.executable, "-m", "codeeff", *args]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)} if threads else None
    start = time.monotonic()
    with open(log, "w") as fh:
        done = subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}); see {log}")
    return command, time.monotonic() - start


def run_all(jobs: dict[str, Job], limit: int | None, reuse: bool, parallel: int) -> dict[str, dict[str, Any]]:
    """Every run of ``jobs``, ``parallel`` at a time, each then with ``cpu_count // parallel`` torch threads
    (``limit`` None: the jobs name their documents with ``--samples``)."""
    from concurrent.futures import ThreadPoolExecutor

    threads = max(1, (os.cpu_count() or 1) // parallel) if parallel > 1 else None
    # the untuned confidence runs (a head projection per check) are the longest: started first, they do not run
    # alone at the end
    order = sorted(jobs, key=lambda name: not name.startswith("untuned"))
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = {name: pool.submit(run_task, *jobs[name][:3], limit, jobs[name][3], reuse, threads) for name in order}
        return {name: futures[name].result() for name in jobs}


def run_task(
    model: Path,
    variant: str | None,
    out: Path,
    limit: int | None,
    extra: list[str] = (),
    reuse: bool = False,
    threads: int | None = None,
) -> dict[str, Any]:
    """One ``codeeff run`` of the task; with ``reuse`` a finished run of the same command, variant file text, files
    the variant names (by content) and model weights (by content) in ``out`` is read back instead of run again, so
    an interrupted benchmark resumes and a model retrained at the same path runs again."""
    from codeeff.model_adapters.spec import parse_variant
    from codeeff.train.common import weights_sha256

    model_args = f"pretrained={model}" + (f",spec={variant}" if variant else "")
    argv = ["run", "--model", "codeeff-hf", "--model_args", model_args, "--tasks", TASK]
    argv += ["--limit", str(limit)] if limit is not None else []
    argv += ["--batch_size", "1", "--output_path", str(out), "--log_samples", *extra]
    stamp_file = out.parent / f"{out.name}.done.json"
    stamp = {
        "argv": argv,
        "variant": Path(variant).read_text() if variant else None,
        "variant_hash": parse_variant(spec_file=variant).hash if variant else None,  # its files enter by content
        "model_weights_sha256": weights_sha256(model),
    }
    done = json.loads(stamp_file.read_text()) if reuse and stamp_file.is_file() else {}
    if done.get("stamp") == stamp:
        command, wall, threads = done["command"], done["wall_s"], done.get("threads")
    else:
        if out.exists():  # a run that did not finish, or of another command: start it again
            import shutil

            shutil.rmtree(out)
        command, wall = codeeff_subprocess(argv, out.parent / f"{out.name}.log", threads)
        stamp_file.write_text(
            json.dumps({"stamp": stamp, "command": command, "wall_s": wall, "threads": threads}) + "\n"
        )
    result_file = sorted(out.rglob("results_*.json"))[-1]
    results = json.loads(result_file.read_text())
    metrics = results["results"][TASK]
    figures = results["config"]["efficiency"]["figures"]
    sample_file = sorted(out.rglob(f"samples_{TASK}_*.jsonl"))[-1]
    doc_ids = [json.loads(line)["doc"]["id"] for line in sample_file.read_text().splitlines() if line.strip()]

    def value(name: str) -> float | None:
        return (figures.get(name) or {}).get("value")

    return {
        "command": " ".join(command),
        "wall_s": round(wall, 1),
        "omp_threads": threads,
        "rougeL": metrics.get("rougeL,none"),
        "codebleu": metrics.get("codebleu,none"),
        "flops_total": value("flops_total"),
        "flops_dense_total": value("flops_dense_total"),
        "gen_tokens": value("gen_tokens"),
        "layers_per_token": value("layers_per_token"),
        "decode_s": value("decode_s"),
        "documents": len(doc_ids),
        "max_doc_id": max(doc_ids),
        "samples_file": str(sample_file),
    }


def baseline_jobs(model: Path, variant_model: Path, work: Path, prefix: str, gen: list[str]) -> dict[str, Job]:
    """The runs every ratio needs: dense, the fine-tuned model's dense run (the FLOPs baseline when LITE changed the
    backbone), and the dense ``max_gen_toks=1`` run that measures the prefill."""
    jobs: dict[str, Job] = {"dense": (model, None, work / f"{prefix}_dense", gen)}
    if variant_model != model:
        jobs["dense (fine-tuned)"] = (variant_model, None, work / f"{prefix}_dense_tuned", gen)
    jobs["prefill"] = (model, None, work / f"{prefix}_prefill", ["--gen_kwargs", "max_gen_toks=1"])
    return jobs


def score(runs: dict[str, dict[str, Any]]) -> float:
    """Adds each run's ratios to the baseline (and to the original model), whether its point estimates meet the
    target, and their paired-bootstrap intervals with the verdict they support (:func:`add_intervals`); removes the
    prefill run and returns the prefill FLOPs."""
    prefill = runs.pop("prefill")
    baseline = runs.get("dense (fine-tuned)", runs["dense"])
    # the max_gen_toks=1 run processes the prompts plus one generated token per document: remove that token
    per_token_dense = (runs["dense"]["flops_total"] - prefill["flops_total"]) / max(
        1.0, runs["dense"]["gen_tokens"] - prefill["gen_tokens"]
    )
    prefill_flops = prefill["flops_total"] - per_token_dense * prefill["gen_tokens"]
    dense_gen = (baseline["flops_total"] - prefill_flops) / baseline["gen_tokens"]
    dense_decode = baseline["decode_s"] / baseline["gen_tokens"]
    for run in runs.values():
        gen_flops = (run["flops_total"] - prefill_flops) / run["gen_tokens"]
        run["flops_per_gen_token_ratio"] = round(gen_flops / dense_gen, 4)
        for metric in ("rougeL", "codebleu"):
            run[f"{metric}_ratio"] = round(run[metric] / baseline[metric], 4) if baseline[metric] else None
            run[f"{metric}_ratio_vs_original"] = (
                round(run[metric] / runs["dense"][metric], 4) if runs["dense"][metric] else None
            )
        run["decode_speedup"] = round(dense_decode / (run["decode_s"] / run["gen_tokens"]), 3)
        run["meets_target"] = bool(
            run["flops_per_gen_token_ratio"] <= FLOPS_TARGET
            and min(run["rougeL_ratio"] or 0, run["rougeL_ratio_vs_original"] or 0) >= QUALITY_TARGET
            and min(run["codebleu_ratio"] or 0, run["codebleu_ratio_vs_original"] or 0) >= QUALITY_TARGET
        )
    add_intervals(runs)
    return prefill_flops


def add_intervals(runs: dict[str, dict[str, Any]]) -> None:
    """Each run's quality ratios get their paired-bootstrap interval (``<metric>_ratio_interval``,
    ``<metric>_ratio_vs_original_interval``) and every early-exit run a ``target_verdict`` from those intervals
    (:mod:`codeeff.bench.quality_intervals`): a point estimate a few hundredths over the bound is not a met target
    when its interval reaches below it."""
    from codeeff.bench import quality_intervals as qi

    scores = {name: qi.read_scores(run["samples_file"]) for name, run in runs.items()}
    for name, run in runs.items():
        qi.check_reported(scores[name], run, name)
    resampled = {name: qi.resample(one) for name, one in scores.items()}
    baseline = "dense (fine-tuned)" if "dense (fine-tuned)" in runs else "dense"
    bases = {"ratio": resampled[baseline], "ratio_vs_original": resampled["dense"]}
    for name, run in runs.items():
        intervals = qi.ratio_intervals(resampled[name], bases)
        for metric in qi.METRICS:
            for key in bases:
                run[f"{metric}_{key}_interval"] = intervals[f"{metric}_{key}"]
        if not name.startswith("dense"):
            run["target_verdict"] = qi.target_verdict(
                run["flops_per_gen_token_ratio"], list(intervals.values()), FLOPS_TARGET, QUALITY_TARGET
            )


def select_threshold(
    args: argparse.Namespace,
    model: Path,
    variant_model: Path,
    work: Path,
    gen: list[str],
    classifier_job: Callable[[str, str], Job],
    also: dict[str, Job] | None = None,
) -> dict[str, Any]:
    """``--select-docs N``: the classifier's T chosen on the N documents after the evaluated ones (indices
    ``limit`` … ``limit + N − 1``, none of them evaluated, all below the training rows): the cheapest of
    ``--select-thresholds`` that meets the target there (``None`` when none does). The evaluated documents are then
    measured at that T like at the others, so T is never chosen on them. ``also``: other runs measured on the same
    documents (reported beside the candidates, not chosen from)."""
    docs = range(args.limit, args.limit + args.select_docs)
    samples = ["--samples", json.dumps({TASK: list(docs)}, separators=(",", ":"))]
    jobs = {name: (m, v, o, [*e, *samples]) for name, (m, v, o, e) in
            baseline_jobs(model, variant_model, work, "select", gen).items()}  # fmt: skip
    candidates = (args.select_thresholds or args.thresholds).split(";")
    for t in candidates:
        m, v, o, e = classifier_job(t, "select_classifier")
        jobs[f"classifier T={t}"] = (m, v, o, [*e, *samples])
    for name, (m, v, o, e) in (also or {}).items():
        jobs[name] = (m, v, o, [*e, *samples])
    runs = run_all(jobs, None, bool(args.artifacts), args.jobs)
    score(runs)
    meeting = [(runs[f"classifier T={t}"]["flops_per_gen_token_ratio"], t) for t in candidates
               if runs[f"classifier T={t}"]["meets_target"]]  # fmt: skip
    return {"doc_indices": [docs.start, docs.stop - 1], "thresholds": candidates,
            "chosen": min(meeting)[1] if meeting else None, "rule": "the lowest FLOPs ratio among the thresholds "
            "that meet the target on these documents", "runs": runs}  # fmt: skip
