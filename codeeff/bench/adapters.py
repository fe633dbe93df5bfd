"""Adapters benchmark: what ``codeeff-hf``'s instrumentation costs, and what fixed early exit buys, on one model.

Everything runs in one process on one loaded model, on the same requests (``--prompts`` code prompts, greedy,
exactly ``--new-tokens`` tokens each: ``min_new_tokens`` = ``max_gen_toks``, so every variant decodes the same
number of steps), batch size 1 with the KV cache on:

(a) overhead -- lm-eval's ``hf`` model vs ``codeeff-hf`` with no transform and every meter on, runs interleaved
    (A B B A ...) ``--repeats`` times; overhead = median over repeats of codeeff / hf - 1 (each pair adjacent in
    time), with every pair's figure and the ratio of medians beside it. Target <= 3 %.
(b) fixed early exit at depths k (default L/4, L/2, 3L/4): decode time per token (the recorder's prefill/decode
    split) of ``early_exit=fixed:k`` vs the full model; speedup / ideal, where ideal = L / k (the layers ratio).
    Target >= 0.85 of ideal. The FLOPs ratio is reported beside it: the LM head and embeddings do not shrink with k,
    so the FLOPs ratio is the realistic ceiling on a small model with a large vocabulary.
(c) exit-check overhead per policy: each dynamic policy evaluated at the seed's exit schedule with a threshold that
    never fires, so every check runs and no layer is skipped; overhead per check = (t_policy - t_full) / checks.

Model: ``--model`` folder, else the demo's SmolLM2-135M when its cache exists, else a tiny random-init Llama (the
JSON says which). Wall-clock figures on a shared or loaded machine are noisy: the report includes the load average
before and after, and all per-run times, so a reader can judge.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

OVERHEAD_TARGET = 0.03
EXIT_TARGET = 0.85
_PROMPTS = [
    "def fibonacci(n):\n",
    "public static int max(int[] values) {\n",
    "import os\n\ndef list_files(path):\n",
    "class Stack:\n    def __init__(self):\n",
    "for (int i = 0; i < n; i++) {\n",
    "def read_json(path):\n    with open(path) as fh:\n",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="HF model folder (default: the demo SmolLM2-135M, else tiny)")
    parser.add_argument("--prompts", type=int, default=4, help="requests per run (default 4)")
    parser.add_argument("--new-tokens", type=int, default=32, help="generated tokens per request (default 32)")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved repeats for the overhead (default 7)")
    parser.add_argument("--exit-depths", default=None, help="fixed exit depths, e.g. 8;15;23 (default L/4,L/2,3L/4)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")


def _pick_model(explicit: str | None) -> tuple[Path, str]:
    if explicit:
        return Path(explicit), "given"
    from codeeff.demo.model import demo_model_dir

    demo = demo_model_dir()
    if (demo / "config.json").is_file() and (demo / "model.safetensors").is_file():
        return demo, "demo SmolLM2-135M-Instruct"
    from codeeff.model_adapters.tiny import save_tiny_model

    folder = Path(tempfile.mkdtemp(prefix="codeeff-bench-tiny-"))
    return save_tiny_model(folder, "llama", layers=8, hidden=256, heads=8), "tiny random-init llama (no demo model)"


def _requests(n: int, new_tokens: int):
    from lm_eval.api.instance import Instance

    gen_kwargs = {"until": [], "max_gen_toks": new_tokens, "min_new_tokens": new_tokens, "do_sample": False}
    prompts = [_PROMPTS[i % len(_PROMPTS)] for i in range(n)]
    return [Instance("generate_until", {}, (p, dict(gen_kwargs)), i) for i, p in enumerate(prompts)]


def _timed(lm, requests) -> float:
    start = time.perf_counter()
    lm.generate_until(requests, disable_tqdm=True)
    return time.perf_counter() - start


def _decode_per_token(lm) -> tuple[float, float, int]:
    """(decode s per decode token, prefill s, generated tokens) from the codeeff record of the last run."""
    totals = lm.totals
    decode_tokens = max(totals.gen_tokens - totals.gen_requests, 1)  # the first token comes from the prefill
    return totals.decode_s / decode_tokens, totals.prefill_s, totals.gen_tokens


def _attached_run(lm, requests, profiler=None) -> float:
    """One timed codeeff-hf run with its recorder attached and fresh totals (optionally under ``profiler``)."""
    lm.attach()
    lm.reset_totals()
    try:
        if profiler is not None:
            profiler.enable()
        return _timed(lm, requests)
    finally:
        if profiler is not None:
            profiler.disable()
        lm.detach()


def _instrumentation_self_time(lm, requests) -> dict[str, Any]:
    """Share of a codeeff-hf generation spent in codeeff's own code (hooks, recorder, cost model, meters).

    Wall-clock A/B runs on a small shared VM scatter by several per cent run to run, more than the 3 % target, so
    the A/B figure alone cannot show whether the target holds. This one does not depend on run-to-run drift:
    one run under ``cProfile``, and the self time (``tottime``) of every function defined in the ``codeeff``
    package over the profiled total. Profiling inflates Python calls far more than torch's kernels, so this
    overstates the instrumentation's share: an upper bound.
    """
    import cProfile
    import pstats

    import codeeff

    package = str(Path(codeeff.__file__).parent)
    profiler = cProfile.Profile()
    _attached_run(lm, requests, profiler)
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    ours = sum(row[2] for (filename, _, _), row in stats.stats.items() if filename.startswith(package))
    return {
        "pct": 100 * ours / total if total else float("nan"),
        "codeeff_self_s": ours,
        "profiled_total_s": total,
        "method": "cProfile tottime of functions in the codeeff package / total, one codeeff-hf run (upper bound)",
    }


def _policy_files(folder: Path, hidden: int) -> dict[str, str]:
    """A never-exiting exit classifier and RL policy (2x64 tanh actor like the seed's PPO), for check timing."""
    import torch
    from torch import nn

    from codeeff.model_adapters.early_exit.policies import save_exit_mlp

    torch.manual_seed(0)
    classifier = nn.Sequential(nn.Linear(hidden, 64), nn.ReLU(), nn.Linear(64, 1))
    nn.init.constant_(classifier[2].bias, -30.0)
    policy = nn.Sequential(nn.Linear(hidden, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2))
    with torch.no_grad():
        policy[4].weight.zero_()
        policy[4].bias.copy_(torch.tensor([30.0, -30.0]))  # always "continue"
    files = {"classifier": folder / "classifier.pt", "policy": folder / "policy.pt"}
    save_exit_mlp(files["classifier"], classifier, activation="relu")
    save_exit_mlp(files["policy"], policy, activation="tanh")
    return {k: str(v) for k, v in files.items()}


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codeeff.model_adapters.early_exit import seed_exit_depths
    from codeeff.model_adapters.lm import CodeeffHFLM

    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    model_dir, model_kind = _pick_model(args.model)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    n_layers = int(model.config.num_hidden_layers)
    requests = _requests(args.prompts, args.new_tokens)
    common = dict(tokenizer=tokenizer, batch_size=1, device="cpu")

    # warm-up (allocator, kernels, tokenizer caches) outside every timed window
    hf = HFLM(pretrained=model, **common)
    hf.generate_until(requests[:1], disable_tqdm=True)

    # (a) instrumentation overhead, interleaved A B B A ... so drift and warm-up do not favour either side
    baseline = CodeeffHFLM(pretrained=model, energy="auto", **common)
    baseline.generate_until(requests[:1], disable_tqdm=True)
    baseline.detach()
    hf_times, codeeff_times = [], []

    for repeat in range(args.repeats):
        if repeat % 2 == 0:
            hf_times.append(_timed(hf, requests))
            codeeff_times.append(_attached_run(baseline, requests))
        else:
            codeeff_times.append(_attached_run(baseline, requests))
            hf_times.append(_timed(hf, requests))
    # Paired: each repeat's two runs are adjacent in time, so their ratio cancels slow drift (thermal, background
    # work) that a ratio of medians would keep; the spread of the pair ratios shows how far the figure can be trusted.
    pair_ratios = [c / h for c, h in zip(codeeff_times, hf_times, strict=True)]
    overhead = statistics.median(pair_ratios) - 1
    overhead_of_medians = statistics.median(codeeff_times) / statistics.median(hf_times) - 1
    self_time = _instrumentation_self_time(baseline, requests)

    # (b) fixed early exit: decode time per token vs the full model (its codeeff record)
    baseline.attach()
    baseline.reset_totals()
    baseline.generate_until(requests, disable_tqdm=True)
    full_decode, full_prefill, _ = _decode_per_token(baseline)
    full_flops = baseline.totals.flops
    full_record = baseline.efficiency_record()
    baseline.detach()
    if args.exit_depths:
        depths = [int(d) for d in args.exit_depths.replace(",", ";").split(";") if d]
    else:
        depths = sorted({max(1, n_layers // 4), max(1, n_layers // 2), max(1, 3 * n_layers // 4)})
    exits = []
    for k in depths:
        lm = CodeeffHFLM(pretrained=model, early_exit=f"fixed:{k}", energy="off", **common)
        lm.generate_until(requests, disable_tqdm=True)
        decode, prefill, tokens = _decode_per_token(lm)
        flops_ratio = sum(full_flops.values()) / sum(lm.totals.flops.values())
        speedup = full_decode / decode
        exits.append(
            {
                "k": k,
                "ideal_layers_ratio": n_layers / k,
                "decode_s_per_token": decode,
                "decode_speedup": speedup,
                "fraction_of_ideal": speedup / (n_layers / k),
                "flops_ratio": flops_ratio,
                "fraction_of_flops_ratio": speedup / flops_ratio,
                "prefill_s": prefill,
                "gen_tokens": tokens,
            }
        )
        lm.detach()

    # (c) exit-check cost per policy (never fires: every check runs, no layer is skipped)
    schedule = seed_exit_depths(n_layers) or list(range(1, n_layers))
    layers_arg = ";".join(map(str, schedule))
    checks = []
    with tempfile.TemporaryDirectory() as tmp:
        files = _policy_files(Path(tmp), int(model.config.hidden_size))
        policies = {
            "confidence": "confidence:1.0",
            "saturation": "saturation:1.0",
            "classifier": f"classifier:{files['classifier']}:0.5",
            "policy": f"policy:{files['policy']}:0.5",
        }
        for name, value in policies.items():
            lm = CodeeffHFLM(pretrained=model, early_exit=value, exit_layers=layers_arg, energy="off", **common)
            lm.generate_until(requests, disable_tqdm=True)
            decode, _, _ = _decode_per_token(lm)
            n_checks = lm.totals.exit_checks
            decode_tokens = max(lm.totals.gen_tokens - lm.totals.gen_requests, 1)
            checks.append(
                {
                    "policy": name,
                    "exit_layers": schedule,
                    "checks": n_checks,
                    "layers_per_token": lm.totals.layer_token_sum / max(lm.totals.gen_tokens, 1),
                    "decode_s_per_token": decode,
                    "decode_overhead_pct": 100 * (decode / full_decode - 1),
                    "s_per_check": (decode - full_decode) * decode_tokens / max(n_checks, 1),
                    "check_flops_per_token_pct": 100 * lm.totals.flops.get("exit_checks", 0) / sum(full_flops.values()),
                }
            )
            lm.detach()

    best = max(exits, key=lambda e: e["fraction_of_ideal"]) if exits else None
    return {
        "model": {
            "path": str(model_dir),
            "kind": model_kind,
            "layers": n_layers,
            "params": full_record["figures"]["params"]["value"],
        },
        "settings": {
            "prompts": args.prompts,
            "new_tokens": args.new_tokens,
            "repeats": args.repeats,
            "batch_size": 1,
            "kv_cache": True,
            "torch_threads": torch.get_num_threads(),
        },
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "overhead": {
            "hf_wall_s": hf_times,
            "codeeff_wall_s": codeeff_times,
            "overhead_pct": 100 * overhead,
            "overhead_pct_method": "median over repeats of codeeff_wall_s / hf_wall_s (adjacent runs)",
            "pair_overhead_pct": [100 * (r - 1) for r in pair_ratios],
            "overhead_pct_of_medians": 100 * overhead_of_medians,
            "instrumentation_self_time": self_time,
            "target_pct": 100 * OVERHEAD_TARGET,
            "meets_target": overhead <= OVERHEAD_TARGET,
        },
        "full_model": {"decode_s_per_token": full_decode, "prefill_s": full_prefill},
        "early_exit_fixed": exits,
        "exit_checks": checks,
        "energy": full_record["figures"]["energy_j"],
        "summary": {
            "overhead_pct": 100 * overhead,
            "overhead_meets_target": overhead <= OVERHEAD_TARGET,
            "instrumentation_self_time_pct": round(self_time["pct"], 3),
            "instrumentation_self_time_meets_target": self_time["pct"] <= 100 * OVERHEAD_TARGET,
            "exit_fraction_of_ideal": {str(e["k"]): round(e["fraction_of_ideal"], 3) for e in exits},
            "exit_fraction_of_flops_ratio": {str(e["k"]): round(e["fraction_of_flops_ratio"], 3) for e in exits},
            "exit_meets_target_at_k": best["k"] if best and best["fraction_of_ideal"] >= EXIT_TARGET else None,
            "check_overhead_pct": {c["policy"]: round(c["decode_overhead_pct"], 2) for c in checks},
        },
    }
