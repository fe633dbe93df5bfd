"""Metrics benchmark: every codeeff metric on 10,000 PY150 line pairs, side by side with the codebleu library.

Pairs (deterministic, documented so anyone can rebuild them): the references are the ``gt`` lines of the 3,819
PY150 dev rows (``codexglue/unixcoder_line_dev/py150/dev.json``), cycled to the requested count; pair ``i``'s
prediction is a perturbation of reference ``i`` chosen by ``i % 5``: 0 identical, 1 last token dropped, 2 one token
replaced by a token of another row, 3 the gt of another row (``(7 i + 1) mod n``), 4 two adjacent tokens swapped
(the positions come from ``random.Random(i)``). Both sides are then detokenized to raw code
(:func:`codeeff.formats.codexglue.detokenize`), which is what a raw-code model is scored on.

Figures: wall time and throughput per metric (CodeBLEU's five components and its compat value are one memoised
computation, timed once including the start of its seeded workers), the total wall time for all metrics, and the
anchor: ``codebleu.calc_codebleu`` single-process on the same pairs, run in a ``PYTHONHASHSEED=0`` subprocess in the
same benchmark run, whose number must equal codeeff's compat value.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from codeeff.data import resolve_data_dir

TARGET_WALL_S = 10.0
CODEBLEU_ROW = "codebleu (4 components + compat, one computation)"
_ANCHOR_SCRIPT = """
import json, sys, time
pairs = json.load(open(sys.argv[1]))
from codebleu import calc_codebleu
start, cpu = time.perf_counter(), time.process_time()
result = calc_codebleu([p[0] for p in pairs], [p[1] for p in pairs], "python")
print(json.dumps({"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu, "result": result}))
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pairs", type=int, default=10_000, help="number of PY150 line pairs (default 10000)")
    parser.add_argument("--workers", type=int, default=None, help="CodeBLEU worker processes (default: CPU count)")
    parser.add_argument("--data-dir", default=None, help="codeeff data dir (else CODEEFF_DATA_DIR / cache)")
    parser.add_argument("--skip-anchor", action="store_true", help="do not run the codebleu library anchor")


def _perturb(index: int, tokens: list[str], other: list[str]) -> list[str]:
    rng = random.Random(index)
    kind = index % 5
    if kind == 0 or not tokens:
        return list(tokens)
    if kind == 1:
        return tokens[:-1]
    if kind == 2:
        out = list(tokens)
        out[rng.randrange(len(out))] = other[rng.randrange(len(other))] if other else "x"
        return out
    if kind == 3:
        return list(other)
    out = list(tokens)
    if len(out) > 1:
        at = rng.randrange(len(out) - 1)
        out[at], out[at + 1] = out[at + 1], out[at]
    return out


def build_pairs(count: int, data_dir: str | None = None) -> list[tuple[str, str]]:
    """The benchmark's (reference, prediction) raw-code pairs (see the module docstring)."""
    from codeeff.formats import codexglue as cxg

    root = resolve_data_dir("codexglue_line", data_dir)
    with open(root / "codexglue" / "unixcoder_line_dev" / "py150" / "dev.json", encoding="utf-8") as fh:
        gts = [json.loads(line)["gt"] for line in fh]
    literals = cxg.load_literals("python", root)
    pairs = []
    for i in range(count):
        ref = gts[i % len(gts)].split()
        pred = _perturb(i, ref, gts[(7 * i + 1) % len(gts)].split())
        pairs.append(
            (cxg.detokenize(" ".join(ref), "python", literals), cxg.detokenize(" ".join(pred), "python", literals))
        )
    return pairs


def _timed(fn) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _run_anchor(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pairs.json"
        path.write_text(json.dumps(pairs), encoding="utf-8")
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(
            [sys.executable, "-c", _ANCHOR_SCRIPT, str(path)], capture_output=True, text=True, env=env, timeout=1800
        )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _import_libraries() -> None:
    import codebleu  # noqa: F401
    import Levenshtein  # noqa: F401
    import rapidfuzz  # noqa: F401
    import rouge_score.tokenize  # noqa: F401
    import sacrebleu  # noqa: F401
    import tree_sitter  # noqa: F401


def _cold_codebleu() -> None:
    """Forget every CodeBLEU result and stop its workers, so the next computation pays the full price."""
    from codeeff.metrics import code_bleu
    from codeeff.metrics.seeded_workers import close_shared_workers

    close_shared_workers()
    code_bleu._MEMO.clear()
    code_bleu._analyze.cache_clear()


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: argparse.Namespace) -> dict[str, Any]:
    from codeeff.metrics import code_bleu, registry
    from codeeff.metrics.seeded_workers import close_shared_workers

    pairs = build_pairs(args.pairs, args.data_dir)
    refs, preds = [p[0] for p in pairs], [p[1] for p in pairs]
    workers = args.workers or code_bleu.default_workers()
    names = list(registry.metrics())
    _, import_s = _timed(_import_libraries)

    # 1. Everything at once, as `codeeff metrics --metric all` does (CodeBLEU workers started cold, in the timing).
    _cold_codebleu()
    cpu0, children0 = time.process_time(), _children_cpu_s()
    values, all_wall = _timed(
        lambda: registry.corpus_scores(names, predictions=preds, references=refs, language="python")
    )
    close_shared_workers()  # so the workers' CPU time is counted in RUSAGE_CHILDREN
    all_cpu = (time.process_time() - cpu0) + (_children_cpu_s() - children0)

    # 2. Each metric alone (CodeBLEU cold again: its five components + compat are one computation; its CPU time
    #    includes its workers', counted once they have exited).
    per_metric: dict[str, dict[str, Any]] = {}
    _cold_codebleu()
    cpu0, children0 = time.process_time(), _children_cpu_s()
    result, seconds = _timed(
        lambda: code_bleu.corpus_codebleu(predictions=preds, references=refs, language="python", workers=workers)
    )
    close_shared_workers()
    per_metric[CODEBLEU_ROW] = {
        "wall_s": seconds,
        "cpu_s": (time.process_time() - cpu0) + (_children_cpu_s() - children0),
        "pairs_per_s": len(pairs) / seconds,
    }
    for name in names:
        if not name.startswith("codebleu"):
            cpu0 = time.process_time()
            alone, seconds = _timed(
                lambda name=name: registry.get(name).corpus(predictions=preds, references=refs, language="python")
            )
            per_metric[name] = {
                "wall_s": seconds,
                "cpu_s": time.process_time() - cpu0,
                "pairs_per_s": len(pairs) / seconds if seconds else None,
            }
            if alone != values[name]:
                raise AssertionError(f"{name}: computed alone {alone} != computed with the others {values[name]}")

    # 3. Parallelism must not change any number: CodeBLEU again with one worker.
    serial = code_bleu.combine(
        code_bleu.pair_statistics(predictions=preds, references=refs, language="python", workers=1)
    )
    parallel = code_bleu.combine(
        code_bleu.pair_statistics(predictions=preds, references=refs, language="python", workers=workers)
    )
    close_shared_workers()

    anchor = None if args.skip_anchor else _run_anchor(pairs)
    summary: dict[str, Any] = {
        "pairs": len(pairs),
        "cpu_count": os.cpu_count(),
        "codebleu_workers": workers,
        "all_metrics_wall_s": all_wall,
        "all_metrics_cpu_s": all_cpu,
        "target_wall_s": TARGET_WALL_S,
        "within_target": all_wall <= TARGET_WALL_S,
        "library_import_s": import_s,
        "codebleu_wall_s": per_metric[CODEBLEU_ROW]["wall_s"],
        "codebleu_cpu_s": per_metric[CODEBLEU_ROW]["cpu_s"],
        "serial_equals_parallel": serial == parallel == result,
        "load_average_1min": os.getloadavg()[0],
    }
    if anchor and "wall_s" in anchor:
        summary["anchor_codebleu_library_single_process_wall_s"] = anchor["wall_s"]
        summary["anchor_codebleu_library_single_process_cpu_s"] = anchor["cpu_s"]
        summary["codebleu_speedup_vs_library_wall"] = anchor["wall_s"] / summary["codebleu_wall_s"]
        summary["codebleu_cpu_ratio_library_over_codeeff"] = anchor["cpu_s"] / summary["codebleu_cpu_s"]
        summary["compat_equals_library_seed0"] = anchor["result"]["codebleu"] == values["codebleu_compat"]
    return {
        "pairs": "PY150 dev gt lines cycled, perturbed by i % 5 (see codeeff/bench/metrics.py), detokenized to raw code",
        "summary": summary,
        "per_metric": per_metric,
        "values": values,
        "codebleu_dataflow_reason": result.dataflow_reason,
        "anchor": anchor,
        "signatures": {name: registry.signature(name) for name in values},
    }
