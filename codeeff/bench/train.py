"""Training benchmark (issue 15): a trained early-exit variant and ABACO on the demo's SmolLM2-135M.

(a) Early exit. Exits first (``--exit-train``):
    - ``adapters`` (default): per-exit adapters fitted in closed form on held-out PY150 rows, backbone frozen
      (``codeeff train exits --mode adapters --adapter-init lstsq --max-steps 0``); the backbone is the original
      model, so the dense baseline is the dense run of the same weights;
    - ``lite``: LITE fine-tuning (``--lite-mode``, ``--lite-steps``); the backbone changes, so the dense run of the
      fine-tuned model is measured too (the FLOPs baseline) besides the original (both quality ratios reported);
      ``--exits-from DIR`` takes a LITE model trained elsewhere, possibly in stages (each stage's record counts);
    - ``none``: the untuned model.
    Then the exit classifier and (``--rl-timesteps`` > 0) the PPO exit agent on those exits, and ``codeeff run`` on
    ``py150_ctx30`` (``--limit`` documents, batch 1, KV copy fill) for: dense, the classifier at each threshold, the
    RL policy, the untuned confidence exit. The oracle exit (an upper bound: it needs the final prediction) is the
    teacher-forced figure from the held-out observations. Targets: FLOPs per generated token ≤ 0.80× dense (exit
    checks and adapters included) at ≥ 0.90× the baseline's ROUGE-L and CodeBLEU. FLOPs per *generated* token =
    (run's flops_total − prefill FLOPs) / generated tokens, the prefill FLOPs from a dense ``max_gen_toks=1`` run over
    the same documents. Decode speedup = dense decode_s / variant decode_s per generated token (wall clock; noisy on a
    shared machine). Every quality ratio carries its 90 % paired-bootstrap interval over the documents, and every
    early-exit run a ``target_verdict`` read from the intervals (met / inconclusive / not met; ``met_by_intervals``)
    besides the point-estimate ``meets_target`` (``met_by``): :mod:`codeeff.bench.quality_intervals`.
    ``--artifacts DIR`` reuses a previous report's trained files and runs only the evaluations.
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
from pathlib import Path
from typing import Any

from codeeff.bench import quality_intervals
from codeeff.bench.train_runs import (
    FLOPS_TARGET,
    QUALITY_TARGET,
    Job,
    baseline_jobs,
    codeeff_subprocess,
    run_all,
    score,
    select_threshold,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="HF model folder (default: the demo SmolLM2-135M)")
    parser.add_argument("--work-dir", default="bench/results/train", help="where models and runs go")
    parser.add_argument("--limit", type=int, default=200, help="py150_ctx30 documents per run (default 200)")
    parser.add_argument("--train-rows", type=int, default=300, help="held-out rows for training")
    parser.add_argument("--positions", type=int, default=16384, help="observation positions for the classifier")
    parser.add_argument("--thresholds", default="0.6;0.8;0.9;0.94", help="classifier thresholds (the seed's T)")
    parser.add_argument("--select-docs", type=int, default=0,
                        help="choose the classifier's T on this many documents after the evaluated ones, then "
                        "evaluate it (0: no choice, only --thresholds)")  # fmt: skip
    parser.add_argument("--select-thresholds", help="the T candidates of --select-docs (default: --thresholds)")
    parser.add_argument("--confidence", default="0.9", help="untuned confidence-exit thresholds")
    parser.add_argument("--vocab-thresholds", default="",
                        help="thresholds of the exit-vocabulary confidence (`exit-policy --kind vocab`, on the "
                        "classifier's observations), run beside the classifier, also on --select-docs (empty: none)")  # fmt: skip
    parser.add_argument("--vocab-size", type=int, default=512, help="tokens in the exit vocabulary")
    parser.add_argument("--exits", default="14,18,22,26", help="exit depths ('seed' or a list)")
    parser.add_argument("--exit-train", choices=("adapters", "lite", "lite-adapters", "none"), default="adapters")
    parser.add_argument("--adapter-rank", type=int, default=0, help="adapters: rank (0 = full affine map)")
    parser.add_argument("--fit-blocks", type=int, default=32, help="adapters: 256-token blocks of the fit")
    parser.add_argument("--lite-steps", type=int, default=100, help="lite: optimizer steps")
    parser.add_argument("--exits-from", metavar="DIR",
                        help="lite: a `codeeff train exits` output folder to use instead of training LITE here (a "
                        "model trained in stages: its record and those of the models it started from give the cost "
                        "and the rows the policies must not learn on)")  # fmt: skip
    parser.add_argument("--lite-mode", choices=("full", "lora", "norms"), default="full")
    parser.add_argument(
        "--lite-lr", type=float, default=None, help="lite: learning rate (default 5e-5 full, 1e-3 else)"
    )
    parser.add_argument("--lite-batch", type=int, default=2, help="lite: 256-token blocks per step")
    parser.add_argument("--lite-weights", default=None, help="lite: loss weights, one per exit + final (default LITE)")
    parser.add_argument(
        "--lite-val-rows", type=int, default=50, help="lite: validation rows (before the training rows)"
    )
    parser.add_argument("--autocast", choices=("none", "bf16"), default="none", help="lite: bf16 autocast")
    parser.add_argument("--rl-timesteps", type=int, default=0, help="PPO exit agent steps (0: no RL run)")
    parser.add_argument("--rl-threshold", type=float, default=0.9)
    parser.add_argument("--gen-toks", type=int, default=0, help="max_gen_toks override (0: the task's 64)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="evaluation runs at a time (each with cpu_count/jobs torch threads; decode speedups are "
                        "then taken under that sharing)")  # fmt: skip
    parser.add_argument("--plot", help="write the Pareto plot (PNG) here")
    parser.add_argument("--artifacts", help="work dir of a previous run: reuse its trained files, only evaluate")
    parser.add_argument("--abaco-ratio", type=float, default=0.8)
    parser.add_argument("--abaco-steps", type=int, default=100)
    parser.add_argument("--skip", default="", help="parts to skip: exits, abaco")


# validation rows of what learns on a fine-tuned model (exit adapters, policies)
UNSEEN_VAL_ROWS = 50


def _rows_unseen(args: argparse.Namespace, exits_training: list[dict[str, Any]]) -> list[str]:
    """What learns on a LITE model (adapters, policies) takes rows no fine-tuning stage saw: ``--train-rows`` + 50
    rows ending as near the file's end as they can without overlapping any stage's training or validation rows (just
    before them, for one stage at the end); nothing to skip without LITE."""
    stages = [step["data"] for step in exits_training if step["args"].get("mode") != "adapters"]
    if not stages:
        return []
    total = stages[0]["rows_in_file"]
    size = args.train_rows + UNSEEN_VAL_ROWS
    seen = [(data["val_rows"][0], data["train_rows"][1]) for data in stages]
    for end in sorted({total, *(start for start, _ in seen)}, reverse=True):
        if end >= size and all(end <= start or end - size >= stop for start, stop in seen):
            return ["--skip-last-rows", str(total - end), "--val-rows", str(UNSEEN_VAL_ROWS)]
    raise ValueError(f"no {size} consecutive rows of the {total} are outside the fine-tuning's rows {seen}")


# options that change how a producer reports, not what it makes
_PRESENTATION = {"json", "no_progress", "resume", "logging_steps", "save_steps"}


def _record_differs(record: dict[str, Any], train_argv: list[str], model: Path) -> str:
    """What differs between a training record and the ``codeeff train`` command ``train_argv`` (options as the
    producer parses them, the base model's weights by content, and the exit adapters a policy learned on, by
    content); '' when nothing does. A record without the weights' digest (written before records had one) is
    compared on the rest alone."""
    from codeeff.data import sha256_file
    from codeeff.train.cli import build_parser
    from codeeff.train.common import weights_sha256

    asked = vars(build_parser(train_argv).parse_args(train_argv))
    differ = [f"{key}: {record['args'].get(key)!r} != {value!r}" for key, value in sorted(asked.items())
              if key not in _PRESENTATION and record["args"].get(key) != value]  # fmt: skip
    recorded = (record["data"].get("base_model") or {}).get("weights_sha256")
    if recorded is not None and recorded != weights_sha256(model):
        differ.append(f"the weights of {model} changed since")
    adapters = record["data"].get("exit_adapters")
    if adapters and not (Path(adapters["path"]).is_file() and sha256_file(adapters["path"]) == adapters["sha256"]):
        differ.append(f"the exit adapters {adapters['path']} changed since")
    return "; ".join(differ)


def _train_step(args: argparse.Namespace, model: Path, out: Path, argv: list[str]) -> dict[str, Any]:
    """One ``codeeff train exits`` run into ``out`` (reused with ``--artifacts`` when its record exists)."""
    common = ["--model", str(model), "--out", str(out), "--exits", args.exits, "--train-rows", str(args.train_rows),
              "--no-progress"]  # fmt: skip
    train_argv = ["exits", *common, *argv]
    record_file = out / "training.json"
    if args.artifacts and record_file.is_file():
        record = json.loads(record_file.read_text())
        differ = _record_differs(record, train_argv, model)
        if differ:
            raise ValueError(f"--artifacts: {out} was trained otherwise than asked ({differ}); remove the folder, or "
                             "continue it with codeeff train exits --resume --max-steps N")  # fmt: skip
        command, wall = ["(reused)"], 0.0
    else:
        command, wall = codeeff_subprocess(["train", "--json", *train_argv], out.parent / f"{out.name}.log")
        record = json.loads(record_file.read_text())
    return _step_summary(record, record_file, command, wall)


def _step_summary(record: dict[str, Any], record_file: Path, command: list[str], wall: float) -> dict[str, Any]:
    return {"command": " ".join(command), "args": record["args"], "wall_s": round(wall, 1), "cost": record["cost"],
            "agreement_table": record["results"]["table"], "fit_r2": record["results"].get("fit_r2"),
            "data": record["data"], "record": str(record_file), "outputs": record["results"]["outputs"]}  # fmt: skip


def _given_exits(args: argparse.Namespace) -> tuple[Path, list[dict[str, Any]]]:
    """``--exits-from DIR``: its model and one summary per training stage that made it, oldest first."""
    from codeeff.train.common import RECORD_FILE, record_chain

    record_file = Path(args.exits_from) / RECORD_FILE
    if not record_file.is_file():
        raise ValueError(f"--exits-from: {record_file} does not exist (not a `codeeff train exits` output folder)")
    chain = record_chain(record_file)
    last = chain[0][1]
    if last["producer"] != "exits" or last["args"].get("mode") == "adapters":
        raise ValueError(f"--exits-from: {record_file} is a {last['producer']} record of mode "
                         f"{last['args'].get('mode')!r}, not a LITE fine-tuning")  # fmt: skip
    if str(last["args"].get("exits")).replace(" ", "") != args.exits.replace(" ", ""):
        raise ValueError(f"--exits {args.exits}, but {args.exits_from} trained exits {last['args'].get('exits')}")
    steps = [_step_summary(record, path, ["(given)"], 0.0) for path, record in chain]
    return Path(last["results"]["outputs"]["model"]), steps[::-1]


def _train_exits(args: argparse.Namespace, model: Path, work: Path) -> tuple[Path, list[str], list[dict[str, Any]]]:
    """The exits: (model the variants run on, extra spec lines, one summary per training step).

    ``lite-adapters``: LITE first, then the closed-form exit adapters fitted on the fine-tuned model."""
    steps: list[dict[str, Any]] = []
    if args.exit_train == "none":
        return model, [], steps
    if args.exits_from:
        model, steps = _given_exits(args)
    elif args.exit_train in ("lite", "lite-adapters"):
        lr = args.lite_lr if args.lite_lr is not None else 5e-5 if args.lite_mode == "full" else 1e-3
        argv = ["--mode", args.lite_mode, "--max-steps", str(args.lite_steps), "--batch-size", str(args.lite_batch),
                "--seq-len", "256", "--lr", str(lr), "--save-steps", "25", "--val-rows", str(args.lite_val_rows),
                "--autocast", args.autocast]  # fmt: skip
        if args.lite_weights:
            argv += ["--weights", args.lite_weights]
        steps.append(_train_step(args, model, work / "exits", argv))
        model = work / "exits" / "model"
    if args.exit_train in ("adapters", "lite-adapters"):
        argv = ["--mode", "adapters", "--adapter-init", "lstsq", "--adapter-rank", str(args.adapter_rank),
                "--max-steps", "0", "--seq-len", "256", "--fit-blocks", str(args.fit_blocks)]  # fmt: skip
        argv += _rows_unseen(args, steps)
        out = work / ("exits" if args.exit_train == "adapters" else "exit_adapters")
        steps.append(_train_step(args, model, out, argv))
        outputs = steps[-1]["outputs"]
        lines = [
            f"exit_adapters: {Path(outputs['exit_adapters']).resolve()}",
            f"exit_adapters_sha256: {outputs['sha256']}",
        ]
        return model, lines, steps
    return model, [], steps


def _train_policy(
    args: argparse.Namespace,
    kind: str,
    model: Path,
    adapter_lines: list[str],
    work: Path,
    exits_training: list[dict[str, Any]],
):
    out = work / f"policy_{kind}"
    argv = ["train", "--json", "exit-policy", "--kind", kind, "--model", str(model), "--out", str(out),
            "--exits", args.exits, "--train-rows", str(args.train_rows), "--max-positions", str(args.positions),
            "--seq-len", "256", "--no-progress"]  # fmt: skip
    if adapter_lines:
        argv += ["--exit-adapters", adapter_lines[0].split(": ", 1)[1]]
    argv += _rows_unseen(args, exits_training)
    if kind in ("rl", "vocab"):  # on the classifier's observations
        argv += ["--timesteps", str(args.rl_timesteps)] if kind == "rl" else ["--vocab-size", str(args.vocab_size)]
        argv += ["--obs-cache", str(work / "policy_classifier" / "observations.pt")]
    record_file = out / "training.json"
    if args.artifacts and record_file.is_file() and not _policy_stale(record_file, argv[2:], model):
        command, wall = ["(reused)"], 0.0
    else:
        command, wall = codeeff_subprocess(argv, work / f"policy_{kind}.log")
    record = json.loads(record_file.read_text())
    return record, {"command": " ".join(command), "wall_s": round(wall, 1), "cost": record["cost"],
                    "offline_thresholds": record["results"]["thresholds"]}  # fmt: skip


def _policy_stale(record_file: Path, train_argv: list[str], model: Path) -> bool:
    """A policy is derived and cheap to make: one whose record differs from what is asked (options, weights, exit
    adapters), or does not name the weights it learned on, is trained again rather than reused."""
    record = json.loads(record_file.read_text())
    if not (record["data"].get("base_model") or {}).get("weights_sha256"):
        return True
    return bool(_record_differs(record, train_argv, model))


def _spec(work: Path, name: str, policy: str, depths: list[int], extra: list[str]) -> str:
    spec = work / f"{name}.yaml"
    spec.write_text("\n".join([f"early_exit: {policy}", f"exit_layers: [{', '.join(map(str, depths))}]",
                                "kv_mode: copy", *extra]) + "\n")  # fmt: skip
    return str(spec)


def _exits(args: argparse.Namespace, model: Path, work: Path) -> dict[str, Any]:
    if args.artifacts:
        work = Path(args.artifacts)
    variant_model, adapter_lines, exits_training = _train_exits(args, model, work)
    record, classifier = _train_policy(args, "classifier", variant_model, adapter_lines, work, exits_training)
    rl = (
        _train_policy(args, "rl", variant_model, adapter_lines, work, exits_training) if args.rl_timesteps > 0 else None
    )
    vocab_thresholds = [t for t in args.vocab_thresholds.split(";") if t]
    vocab = (
        _train_policy(args, "vocab", variant_model, adapter_lines, work, exits_training) if vocab_thresholds else None
    )
    heldout_from = min([record["data"]["heldout_from"], *(step["data"]["heldout_from"] for step in exits_training)])
    depths = record["results"]["exit_depths"]
    gen = ["--gen_kwargs", f"max_gen_toks={args.gen_toks}"] if args.gen_toks else []
    classifier_file = (work / "policy_classifier" / "exit_classifier.pt").resolve()
    exits_record = [Path(step["record"]) for step in exits_training]

    def cost_line(kind: str) -> list[str]:  # what the variant cost to make: its policy's record + the exits'
        paths = [work / f"policy_{kind}" / "training.json", *exits_record]
        return [f"training: {';'.join(str(p.resolve()) for p in paths if p.is_file())}"]

    def classifier_job(t: str, folder: str) -> Job:
        spec = _spec(work, f"classifier_{t}", f"classifier:{classifier_file}:{t}", depths,
                     adapter_lines + cost_line("classifier"))  # fmt: skip
        return variant_model, spec, work / f"{folder}_{t}", gen

    def vocab_job(t: str, folder: str) -> Job:
        vocab_file = (work / "policy_vocab" / "exit_vocab.json").resolve()
        spec = _spec(work, f"vocab_{t}", f"confidence:{t}", depths,
                     [f"confidence_vocab: {vocab_file}", *adapter_lines, *cost_line("vocab")])  # fmt: skip
        return variant_model, spec, work / f"{folder}_vocab_{t}", gen

    selection = None
    thresholds = args.thresholds.split(";")
    if args.select_docs:
        also = {f"vocab confidence T={t}": vocab_job(t, "select") for t in vocab_thresholds}
        selection = select_threshold(args, model, variant_model, work, gen, classifier_job, also)
        if selection["chosen"] is not None:
            selection["evaluated_as"] = f"classifier T={selection['chosen']}"
            thresholds += [] if selection["chosen"] in thresholds else [selection["chosen"]]
    jobs = baseline_jobs(model, variant_model, work, "run", gen)
    for t in thresholds:
        jobs[f"classifier T={t}"] = classifier_job(t, "run_classifier")
    for t in vocab_thresholds:
        jobs[f"vocab confidence T={t}"] = vocab_job(t, "run")
    if rl is not None:
        policy_file = (work / "policy_rl" / "ppo_policy.pt").resolve()
        spec = _spec(work, "rl", f"policy:{policy_file}:{args.rl_threshold}", depths, adapter_lines + cost_line("rl"))
        jobs[f"RL policy T={args.rl_threshold}"] = (variant_model, spec, work / "run_rl", gen)
    for t in args.confidence.split(";"):
        spec = _spec(work, f"confidence_{t}", f"confidence:{t}", depths, [])
        jobs[f"untuned confidence T={t}"] = (model, spec, work / f"run_confidence_{t}", gen)
    runs = run_all(jobs, args.limit, bool(args.artifacts), args.jobs)
    prefill_flops = score(runs)
    evaluated = [*runs.values(), *(selection["runs"].values() if selection else [])]
    leak = [r["command"] for r in evaluated if r["max_doc_id"] >= heldout_from]
    return {
        "exit_training": exits_training,
        "variant_model": str(variant_model),
        "exit_adapters": adapter_lines,
        "classifier": classifier,
        "rl": rl[1] if rl else None,
        "vocab": vocab[1] if vocab else None,
        "data": record["data"],
        "oracle": record["results"]["oracle"],
        "oracle_point": _oracle_point(model, record["results"]["oracle"]),
        "prefill_flops": prefill_flops,
        "runs": runs,
        "selection": selection,
        "heldout_ok": not leak,
        "met_by": [n for n, r in runs.items() if r["meets_target"] and not n.startswith("dense")],
        "met_by_intervals": [n for n, r in runs.items() if r.get("target_verdict") == "met"],
        "quality_intervals": _INTERVALS,
    }  # fmt: skip


_INTERVALS = {
    "confidence": quality_intervals.CONFIDENCE,
    "resamples": quality_intervals.DEFAULT_RESAMPLES,
    "seed": quality_intervals.DEFAULT_SEED,
    "method": "paired bootstrap over documents: each resample recomputes both runs' corpus ROUGE-L (mean of per-pair "
    "F) and CodeBLEU (codeeff mode, from per-pair counts); percentile interval of the ratio",
    "verdict": f"met: FLOPs ratio <= {FLOPS_TARGET} and every quality interval at or above {QUALITY_TARGET}; not met: "
    "FLOPs over or an interval wholly below; inconclusive otherwise",
}


def _oracle_point(model: Path, oracle: dict[str, Any]) -> dict[str, Any]:
    """The oracle's teacher-forced FLOPs ratio from its mean layers (matmul MACs of a layer and of the head, no
    attention-over-context term): an upper bound, not a run."""
    from transformers import AutoConfig

    from codeeff.bench.train_plot import offline_flops_ratio

    c = AutoConfig.from_pretrained(model)
    d, heads = c.hidden_size, c.num_attention_heads
    kv = getattr(c, "num_key_value_heads", heads) * (d // heads)
    layer = 2 * d * d + 2 * d * kv + 3 * d * c.intermediate_size
    ratio = offline_flops_ratio(oracle["mean_layers"], c.num_hidden_layers, layer, d * c.vocab_size)
    return {"flops_ratio": round(ratio, 4), "mean_layers": oracle["mean_layers"], "note": "teacher-forced upper bound"}


def _abaco(args: argparse.Namespace, model: Path, work: Path) -> dict[str, Any]:
    out = work / "abaco"
    command, wall = codeeff_subprocess(
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

    if args.exits_from and args.exit_train not in ("lite", "lite-adapters"):
        raise ValueError(f"--exits-from is a LITE-trained model: use it with --exit-train lite, not {args.exit_train}")
    model, which = _pick_model(args.model)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    skip = set(args.skip.replace(",", " ").split())
    report: dict[str, Any] = {"model": str(model), "model_source": which, "limit": args.limit}
    if "exits" not in skip:
        report["exits"] = _exits(args, model, work)
    if "abaco" not in skip:
        report["abaco"] = _abaco(args, model, work)
    if args.plot and "exits" in report:
        from codeeff.bench.train_plot import plot

        report["plot"] = str(plot(report, args.plot))
    report["summary"] = {
        "early_exit_targets_met_by": (report.get("exits") or {}).get("met_by"),
        "early_exit_targets_met_by_intervals": (report.get("exits") or {}).get("met_by_intervals"),
        "abaco_ppl_below_plain_svd": (report.get("abaco") or {}).get("abaco_below_svd"),
    }
    return report
