"""Training benchmark (issue 15): a trained early-exit variant and ABACO on the demo's SmolLM2-135M.

(a) Early exit, exit-classifier path: ``codeeff train exit-policy --kind classifier`` at the seed's exits on held-out
    PY150 rows, then ``codeeff run`` on ``py150_ctx30`` (``--limit`` documents, batch 1, KV copy fill) for the dense
    model, the classifier at each threshold, and the untuned shared-head confidence exit. Targets: FLOPs per
    generated token ≤ 0.80× dense at ≥ 0.90× dense ROUGE-L and CodeBLEU. FLOPs per *generated* token =
    (run's flops_total − prefill FLOPs) / generated tokens, the prefill FLOPs measured by a dense run with
    ``max_gen_toks=1`` over the same documents (prompts run at full depth in every variant). The oracle exit
    (an upper bound: it needs the final prediction) is reported from the held-out observations (teacher-forced).
    Decode speedup = dense decode_s / variant decode_s per generated token (wall clock; noisy on a shared machine).
    ``--lite-steps N`` first trains the exits (LITE, ``norms`` mode) and puts the classifier on that model; the dense
    baseline stays the original model.
(b) ABACO at CR ``--abaco-ratio`` of the MLP (gate, up, down): held-out perplexity of plain truncated SVD at the
    same ranks vs ABACO after ``--abaco-steps`` steps.
Each step's command is in the JSON. Every document the runs evaluate has an id below the training rows.
The seeds: early exit = Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs" (TU
Wien, 2025);
ABACO = Simionato, "Exploring Redundancy and Shared Representations for Transformer Models Optimization" (PoliMi, 2024),
§6.3.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TASK = "py150_ctx30"
FLOPS_TARGET = 0.80
QUALITY_TARGET = 0.90


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="HF model folder (default: the demo SmolLM2-135M)")
    parser.add_argument("--work-dir", default="bench/results/train", help="where models and runs go")
    parser.add_argument("--limit", type=int, default=200, help="py150_ctx30 documents per run (default 200)")
    parser.add_argument("--train-rows", type=int, default=300, help="held-out rows for training")
    parser.add_argument("--positions", type=int, default=16384, help="observation positions for the classifier")
    parser.add_argument("--thresholds", default="0.5;0.6;0.8;0.9;0.94", help="classifier thresholds")
    parser.add_argument("--confidence", default="0.9", help="untuned confidence-exit thresholds")
    parser.add_argument("--lite-steps", type=int, default=0, help="LITE (norms mode) steps before the classifier")
    parser.add_argument("--abaco-ratio", type=float, default=0.8)
    parser.add_argument("--abaco-steps", type=int, default=100)
    parser.add_argument("--skip", default="", help="parts to skip: exits, abaco")


def _codeeff(args: list[str], log: Path) -> tuple[list[str], float]:
    command = [sys.executable, "-m", "codeeff", *args]
    start = time.monotonic()
    with open(log, "w") as fh:
        done = subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}); see {log}")
    return command, time.monotonic() - start


def _run_task(model: Path, variant: str | None, out: Path, limit: int, extra: list[str] = ()) -> dict[str, Any]:
    model_args = f"pretrained={model}" + (f",spec={variant}" if variant else "")
    argv = ["run", "--model", "codeeff-hf", "--model_args", model_args, "--tasks", TASK, "--limit", str(limit)]
    argv += ["--batch_size", "1", "--output_path", str(out), "--log_samples", *extra]
    command, wall = _codeeff(argv, out.with_suffix(".log"))
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
        "rougeL": metrics.get("rougeL,none"),
        "codebleu": metrics.get("codebleu,none"),
        "flops_total": value("flops_total"),
        "flops_dense_total": value("flops_dense_total"),
        "gen_tokens": value("gen_tokens"),
        "layers_per_token": value("layers_per_token"),
        "decode_s": value("decode_s"),
        "max_doc_id": max(doc_ids),
    }


def _lite(args: argparse.Namespace, model: Path, work: Path) -> tuple[Path, dict[str, Any]]:
    out = work / "lite"
    command, wall = _codeeff(
        ["train", "--json", "exits", "--mode", "norms", "--model", str(model), "--out", str(out), "--exits", "seed",
         "--max-steps", str(args.lite_steps), "--batch-size", "4", "--seq-len", "256", "--lr", "1e-3",
         "--train-rows", str(args.train_rows), "--save-steps", "25", "--no-progress"],
        work / "lite.log",
    )  # fmt: skip
    record = json.loads((out / "training.json").read_text())
    summary = {"command": " ".join(command), "wall_s": round(wall, 1), "cost": record["cost"]}
    summary["agreement_table"] = record["results"]["table"]
    return out / "model", summary


def _exits(args: argparse.Namespace, model: Path, work: Path) -> dict[str, Any]:
    lite: dict[str, Any] | None = None
    variant_model = model
    if args.lite_steps > 0:
        variant_model, lite = _lite(args, model, work)
    policy_dir = work / "classifier"
    train_cmd, train_wall = _codeeff(
        ["train", "--json", "exit-policy", "--kind", "classifier", "--model", str(variant_model), "--out", str(policy_dir),
         "--exits", "seed", "--train-rows", str(args.train_rows), "--max-positions", str(args.positions),
         "--no-progress"],
        work / "classifier.log",
    )  # fmt: skip
    record = json.loads((policy_dir / "training.json").read_text())
    heldout_from = record["data"]["heldout_from"]
    depths = record["results"]["exit_depths"]
    runs: dict[str, Any] = {"dense": _run_task(model, None, work / "run_dense", args.limit)}
    prefill = _run_task(model, None, work / "run_prefill", args.limit, ["--gen_kwargs", "max_gen_toks=1"])
    # the max_gen_toks=1 run processes the prompts plus one generated token per document: remove that token
    per_token_dense = (runs["dense"]["flops_total"] - prefill["flops_total"]) / max(
        1.0, runs["dense"]["gen_tokens"] - prefill["gen_tokens"]
    )
    prefill_flops = prefill["flops_total"] - per_token_dense * prefill["gen_tokens"]
    for t in args.thresholds.split(";"):
        spec = work / f"classifier_{t}.yaml"
        spec.write_text(
            f"early_exit: classifier:{(policy_dir / 'exit_classifier.pt').resolve()}:{t}\n"
            f"exit_layers: [{', '.join(map(str, depths))}]\nkv_mode: copy\n"
        )
        runs[f"classifier T={t}"] = _run_task(variant_model, str(spec), work / f"run_classifier_{t}", args.limit)
    for t in args.confidence.split(";"):
        spec = work / f"confidence_{t}.yaml"
        spec.write_text(f"early_exit: confidence:{t}\nexit_layers: [{', '.join(map(str, depths))}]\nkv_mode: copy\n")
        runs[f"untuned confidence T={t}"] = _run_task(model, str(spec), work / f"run_confidence_{t}", args.limit)
    dense = runs["dense"]
    dense_gen = (dense["flops_total"] - prefill_flops) / dense["gen_tokens"]
    dense_decode = dense["decode_s"] / dense["gen_tokens"]
    for run in runs.values():
        gen = (run["flops_total"] - prefill_flops) / run["gen_tokens"]
        run["flops_per_gen_token_ratio"] = round(gen / dense_gen, 4)
        run["rougeL_ratio"] = round(run["rougeL"] / dense["rougeL"], 4) if dense["rougeL"] else None
        run["codebleu_ratio"] = round(run["codebleu"] / dense["codebleu"], 4) if dense["codebleu"] else None
        run["decode_speedup"] = round(dense_decode / (run["decode_s"] / run["gen_tokens"]), 3)
        run["meets_target"] = bool(
            run["flops_per_gen_token_ratio"] <= FLOPS_TARGET
            and (run["rougeL_ratio"] or 0) >= QUALITY_TARGET
            and (run["codebleu_ratio"] or 0) >= QUALITY_TARGET
        )
    leak = [n for n, r in runs.items() if r["max_doc_id"] >= heldout_from]
    return {
        "lite": lite,
        "variant_model": str(variant_model),
        "training": {"command": " ".join(train_cmd), "wall_s": round(train_wall, 1), "cost": record["cost"],
                     "data": record["data"], "offline_thresholds": record["results"]["thresholds"]},
        "oracle": record["results"]["oracle"],
        "prefill_flops": prefill_flops,
        "runs": runs,
        "heldout_ok": not leak,
        "met_by": [n for n, r in runs.items() if r["meets_target"] and n != "dense"],
    }  # fmt: skip


def _abaco(args: argparse.Namespace, model: Path, work: Path) -> dict[str, Any]:
    out = work / "abaco"
    command, wall = _codeeff(
        ["train", "--json", "abaco", "--model", str(model), "--out", str(out), "--targets", "gate,up,down",
         "--param-ratio", str(args.abaco_ratio), "--max-steps", str(args.abaco_steps), "--batch-size", "2",
         "--seq-len", "256", "--train-rows", str(args.train_rows), "--no-progress"],
        work / "abaco.log",
    )  # fmt: skip
    record = json.loads((out / "training.json").read_text())
    results = record["results"]
    return {
        "command": " ".join(command),
        "wall_s": round(wall, 1),
        "cost": record["cost"],
        "targets_compression_ratio": results["targets_compression_ratio"],
        "model_compression_ratio": results["compression_ratio"],
        "ppl_dense": results["val_ppl_dense"],
        "ppl_plain_svd": results["val_ppl_init"],
        "ppl_abaco": results["val_ppl_abaco"],
        "abaco_below_svd": results["val_ppl_abaco"] < results["val_ppl_init"],
        "val_rows": record["data"]["val_rows"],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from codeeff.bench.adapters import _pick_model

    model, which = _pick_model(args.model)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    skip = set(args.skip.replace(",", " ").split())
    report: dict[str, Any] = {"model": str(model), "model_source": which, "limit": args.limit}
    if "exits" not in skip:
        report["exits"] = _exits(args, model, work)
    if "abaco" not in skip:
        report["abaco"] = _abaco(args, model, work)
    report["summary"] = {
        "early_exit_targets_met_by": (report.get("exits") or {}).get("met_by"),
        "abaco_ppl_below_plain_svd": (report.get("abaco") or {}).get("abaco_below_svd"),
    }
    return report
