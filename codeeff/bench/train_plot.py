"""The early-exit Pareto plot of a ``codeeff bench train`` report: quality ratio vs FLOPs per generated token."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def offline_flops_ratio(mean_layers: float, num_layers: int, layer_flops: float, head_flops: float) -> float:
    """Teacher-forced FLOPs ratio of a policy that runs ``mean_layers`` layers and one head (checks not counted)."""
    return (mean_layers * layer_flops + head_flops) / (num_layers * layer_flops + head_flops)


def plot(report: dict[str, Any], path: str | Path, metrics: tuple[str, ...] = ("rougeL", "codebleu")) -> Path:
    """One panel per metric: measured runs (dense, classifier curve over T, RL, untuned confidence) and, when the
    report has it, the oracle's teacher-forced point (an upper bound, drawn hollow). Quality is the ratio to the
    FLOPs baseline's (the fine-tuned model's dense run after LITE, else the original's); vertical bars are the
    ratios' paired-bootstrap intervals when the report has them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    exits = report["exits"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(6.0 * len(metrics), 4.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        _panel(ax, exits, metric)
    fig.suptitle(f"py150_ctx30, {report.get('limit')} documents: early exit on SmolLM2-135M", fontsize=11)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _panel(ax: Any, exits: dict[str, Any], metric: str) -> None:
    runs = exits["runs"]
    _threshold_curve(ax, runs, metric, "classifier", "trained exits + classifier (T)", ("o-", "tab:blue"), 4)
    _threshold_curve(ax, runs, metric, "vocab", "trained exits + exit-vocabulary confidence (T)",
                     ("D-", "tab:orange"), -10)  # fmt: skip
    for run in runs.values():  # the interval of every quality ratio that has one
        interval = run.get(f"{metric}_ratio_interval")
        if interval is not None and run[f"{metric}_ratio"] is not None:
            ax.vlines(run["flops_per_gen_token_ratio"], *interval, color="grey", alpha=0.6, lw=1)
    styles = {"dense (fine-tuned)": ("*", "black"), "dense": ("*", "grey"), "RL": ("s", "tab:green"),
              "untuned": ("x", "tab:red")}  # fmt: skip  # run-name prefix -> (marker, colour); first match wins
    for name, run in runs.items():
        style = next((v for k, v in styles.items() if name.startswith(k)), None)
        if style and run[f"{metric}_ratio"] is not None:
            x, y = run["flops_per_gen_token_ratio"], run[f"{metric}_ratio"]
            ax.plot(x, y, style[0], color=style[1], markersize=10, ls="none", label=name)
    oracle = exits.get("oracle_point")
    if oracle:
        ax.plot(oracle["flops_ratio"], 1.0, "o", mfc="none", color="tab:purple", markersize=9, ls="none",
                label="oracle (upper bound, teacher-forced)")  # fmt: skip
    ax.axvline(0.80, color="grey", ls=":", lw=1)
    ax.axhline(0.90, color="grey", ls=":", lw=1)
    ax.set_xlabel("FLOPs per generated token / dense")
    ax.set_ylabel(f"{metric} / dense")
    ax.legend(fontsize=7, loc="center right")
    ax.grid(alpha=0.3)


def _threshold_curve(
    ax: Any, runs: dict[str, Any], metric: str, prefix: str, label: str, style: tuple[str, str], label_dy: int
) -> None:
    """The runs whose name starts with ``prefix`` as one line over their thresholds (``... T=<t>``), each labelled."""
    curve = sorted(
        ((r["flops_per_gen_token_ratio"], r[f"{metric}_ratio"], name.split("T=")[-1])
         for name, r in runs.items() if name.startswith(prefix) and r[f"{metric}_ratio"] is not None),
    )  # fmt: skip
    if not curve:
        return
    ax.plot([c[0] for c in curve], [c[1] for c in curve], style[0], color=style[1], label=label)
    for x, y, t in curve:
        ax.annotate(f"T={t}", (x, y), textcoords="offset points", xytext=(4, label_dy), fontsize=8)
