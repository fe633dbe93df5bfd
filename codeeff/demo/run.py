"""The demo's orchestration: check inputs, prepare the model, evaluate each variant, build the leaderboard.

Everything a run needs is checked before the first model loads (data present, sandbox usable, demo model
installed), so a missing piece costs seconds, not minutes. Each variant writes a normal lm-eval output folder
(results JSON + samples JSONL), exactly what `codeeff run --output_path ... --log_samples` writes, and the leaderboard
is built from those folders by the same code as `codeeff leaderboard`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeeff.contracts.records import HEADLINE_COLUMNS
from codeeff.demo import trained

TRANSLATION_TASK = "gtranseval_java2python"
COMPLETION_TASK = "codexglue_line_py150"


@dataclass(frozen=True)
class Variant:
    """One row family of the demo leaderboard: a name for people and the codeeff-hf keys that define it."""

    name: str
    keys: dict[str, Any] = field(default_factory=dict)
    what: str = ""


VARIANTS: tuple[Variant, ...] = (
    Variant("baseline", {}, "the unmodified model"),
    Variant(
        "early-exit",
        {"early_exit": "confidence:0.95", "exit_layers": [26]},
        # The model has no exit fine-tuning, so the shared LM head reads the final token from an intermediate layer
        # only near the top: teacher-forced on the baseline's own translations, its top-1 at layer 24 agrees with
        # the final top-1 56 % of the time when its confidence is >= 0.95, at layers 26-29 80-90 %. One check, at
        # layer 26: on this model a check is a full 49k-vocabulary LM-head projection (about 8 decoder layers of
        # FLOPs), so FLOPs/token rise while layers/token fall -- the record shows both. Exits at layers 20/25 with
        # T=0.9 produced junk that never closed its code fence. Saturation (cosine) exits cost no FLOPs but the
        # cosine says nothing here: where it fires, agreement with the final top-1 is the layer's base rate.
        "exit after layer 26 when the LM head's top-1 probability there reaches 0.95 (one check per token)",
    ),
    Variant(
        "attn-bypass",
        {"attn_bypass": "cosine:4", "calib": f"task:{TRANSLATION_TASK}", "calib_n": 8},
        # NOSE (nose:N) scores every remaining layer in each of N greedy rounds (~114 forward passes over the
        # calibration set for N=4 on 30 layers): minutes on a 2-core CPU, so the demo uses the one-pass criterion.
        "attention of the 4 layers whose attention changes its input least (cosine), on 8 task prompts; identity",
    ),
    Variant(
        "svd-qk",
        {
            "factorize": "svd",
            "param_ratio": 0.5,
            "factorize_targets": "q,k",
            "act_aware": True,
            "calib": f"task:{TRANSLATION_TASK}",
            "calib_n": 8,
        },
        # Plain truncated SVD destroys this small model without fine-tuning: MLP gate,up,down at 90 % of their
        # parameters gives token NLL 11.3 (baseline 2.09) on the baseline's own translations, `down` alone at 95 %
        # 5.7, q,k,v,o at 90 % 9.9. Activation-aware scaling (ASVD) on the attention-score projections q,k is
        # nearly lossless (NLL 2.10 at 90 %, 2.18 at 50 %), so the demo halves q and k: 5 % of the parameters.
        "q and k projections replaced by activation-aware truncated-SVD factors with 50 % of their parameters",
    ),
    Variant(
        "trained-exit",
        trained.keys(),
        # Shipped, not trained here: exit adapters fitted on held-out PY150 rows + an exit classifier on the adapted
        # states (codeeff/demo/artifacts/smollm2_exits/RECIPE.md); sha256-checked before use. The classifier reads
        # the hidden state (a 577x64 MLP), so a check costs ~0.1 % of the LM head a confidence check projects.
        f"trained exit adapters + exit classifier (T={trained.THRESHOLD}) at layers "
        f"{', '.join(map(str, trained.EXIT_LAYERS))}; backbone unchanged",
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codeeff demo", description=__doc__)
    parser.add_argument("--limit-translation", type=int, default=8, help="G-TransEval Java→Python samples")
    parser.add_argument("--limit-completion", type=int, default=16, help="PY150 line-completion samples")
    parser.add_argument("--variants", default=",".join(v.name for v in VARIANTS), help="comma-separated subset")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        help="generation batch (1: early exit saves compute only when every row of a batch exits, and no padding)",
    )
    parser.add_argument(
        "--max-gen-toks", type=int, default=256, help="translation length cap (G-TransEval functions are short)"
    )
    parser.add_argument(
        "--max-length", type=int, default=512, help="model context in tokens (longer file prefixes are left-cut)"
    )
    parser.add_argument("--device", default=None, help="torch device (default: cuda:0 when available, else cpu)")
    parser.add_argument("--output-dir", default="out/demo", help="lm-eval output folders, one per variant")
    parser.add_argument("--leaderboard", default="leaderboards/demo.csv", help="leaderboard CSV to write")
    parser.add_argument("--data-dir", default=None, help="benchmark data (default: CODEEFF_DATA_DIR, then cache)")
    parser.add_argument("--model", default=None, help="a HF model folder instead of the embedded SmolLM2-135M")
    return parser


def _selected_variants(names: str) -> list[Variant]:
    by_name = {v.name: v for v in VARIANTS}
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in by_name]
    if unknown:
        raise SystemExit(f"unknown demo variant(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    if "baseline" not in chosen:
        chosen.insert(0, "baseline")
    return [by_name[n] for n in chosen]


def _check_inputs(args: argparse.Namespace) -> tuple[Path, Path]:
    """Fail before any model work: data, sandbox, model."""
    from codeeff.data import resolve_data_dir
    from codeeff.sandbox import ensure_usable

    data_dir = resolve_data_dir("gtranseval", args.data_dir)
    resolve_data_dir("codexglue_line", args.data_dir)
    backend = ensure_usable()
    print(f"[demo] data: {data_dir}; sandbox: {_backend_name(backend)}", flush=True)
    if args.model:
        model_dir = Path(args.model).expanduser().resolve()
        if not (model_dir / "config.json").exists():
            raise SystemExit(f"--model {model_dir}: not a Hugging Face model folder (no config.json)")
    else:
        from codeeff.demo.model import ensure_demo_model

        model_dir = ensure_demo_model()
    return data_dir, model_dir


def _backend_name(info: Any) -> str:
    if isinstance(info, dict):
        return str(info.get("name") or info.get("backend") or info)
    return str(getattr(info, "name", info))


def _evaluate(
    variant: Variant,
    model_dir: Path,
    data_dir: Path,
    task: str,
    limit: int,
    chat: bool,
    args: argparse.Namespace,
    task_manager,
) -> dict:
    """One lm-eval run of one variant on one task, saved like `codeeff run --output_path --log_samples`."""
    from lm_eval import simple_evaluate

    from codeeff.results_files import ResultsWriter

    writer = ResultsWriter.into(Path(args.output_dir) / variant.name)
    model_args = {"pretrained": str(model_dir), "max_length": args.max_length, **variant.keys}
    gen_kwargs = {"max_gen_toks": args.max_gen_toks} if task == TRANSLATION_TASK else None
    results = simple_evaluate(
        model="codeeff-hf",
        gen_kwargs=gen_kwargs,
        model_args=model_args,
        tasks=[task],
        limit=limit,
        batch_size=args.batch_size,
        device=args.device,
        log_samples=True,
        apply_chat_template=chat,
        confirm_run_unsafe_code=True,
        evaluation_tracker=writer.tracker,
        task_manager=task_manager,
    )
    writer.write(results, results.pop("samples"))
    return results


def _headline(results: dict, task: str) -> str:
    values = results["results"][task]
    keys = ("ca,none", "codebleu,none", "exact_match_cxg,none", "edit_similarity,none")
    shown = [f"{k.split(',')[0]}={values[k]:.3g}" for k in keys if isinstance(values.get(k), int | float)]
    return ", ".join(shown)


def summary_table(csv_path: Path) -> str:
    """The headline columns of the demo leaderboard (the full table is in the CSV and its Markdown)."""
    import pandas as pd

    frame = pd.read_csv(csv_path)
    columns = [c for c in HEADLINE_COLUMNS if c in frame.columns]
    shown = frame[columns].astype(object).where(frame[columns].notna(), None)  # empty cells, not "nan"
    return shown.to_markdown(index=False, floatfmt=".4g", missingval="")


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.device is None:
        import torch

        args.device = "cuda:0" if torch.cuda.is_available() else "cpu"
    variants = _selected_variants(args.variants)
    started = time.perf_counter()
    data_dir, model_dir = _check_inputs(args)
    if any(v.name == "trained-exit" for v in variants):
        trained.verify(model_dir)

    from lm_eval.tasks import TaskManager

    from codeeff import register_models
    from codeeff.tasks import tasks_dir

    register_models()
    # codeeff's tasks only: indexing lm-eval's ~14k built-in YAMLs would cost ~17 s per variant for nothing.
    task_manager = TaskManager(
        include_path=str(tasks_dir()), include_defaults=False, metadata={"data_dir": str(data_dir)}
    )
    output_root = Path(args.output_dir)
    if output_root.exists():
        shutil.rmtree(output_root)  # every number of a demo comes from this run
    plan = [(TRANSLATION_TASK, args.limit_translation, True), (COMPLETION_TASK, args.limit_completion, False)]
    baseline_hash = None
    for index, variant in enumerate(variants, 1):
        print(f"\n[demo] variant {index}/{len(variants)}: {variant.name} — {variant.what}", flush=True)
        for task, limit, chat in plan:
            t0 = time.perf_counter()
            results = _evaluate(variant, model_dir, data_dir, task, limit, chat, args, task_manager)
            print(f"[demo]   {task}: {_headline(results, task)} ({time.perf_counter() - t0:.0f} s)", flush=True)
            if variant.name == "baseline":
                baseline_hash = results["config"]["efficiency"]["variant"]["hash"]

    from codeeff.leaderboard.cli import main as leaderboard_main

    csv_path = Path(args.leaderboard)
    if csv_path.exists():
        csv_path.unlink()  # the demo leaderboard holds this run only
    code = leaderboard_main(
        [str(output_root), "-o", str(csv_path), "--baseline", str(baseline_hash), "--md", "--html", "--plot"]
    )
    if code != 0:
        return code
    markdown = csv_path.with_suffix(".md")
    print("\n" + summary_table(csv_path))
    print(f"[demo] done in {time.perf_counter() - started:.0f} s: {csv_path}, {markdown}, plots beside them")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
