"""`codeeff demo` end to end on a tiny random-init model: every variant is evaluated on both tasks (sandboxed unit
tests included), each run writes an lm-eval output folder, and the leaderboard CSV, Markdown and plots are built."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from codeeff_support import run_codeeff

from codeeff.demo.run import COMPLETION_TASK, TRANSLATION_TASK, VARIANTS

# The demo's variants are tuned for SmolLM2-135M's 30 decoder layers (the early exit checks at layer 26), so the tiny
# model has 30 layers too; its width stays tiny.
TINY_LAYERS = 30
# trained-exit ships SmolLM2-135M's fitted exit adapters; the demo refuses them for another model (test_trained_variant).
UNTRAINED = [variant.name for variant in VARIANTS if variant.name != "trained-exit"]


@pytest.fixture(scope="module")
def tiny_30_layer_model(tmp_path_factory):
    from codeeff.model_adapters.tiny import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("tiny-30"), "llama", layers=TINY_LAYERS, hidden=32, heads=2)


@pytest.mark.slow
def test_demo_runs_every_variant_and_builds_the_leaderboard(tiny_30_layer_model, data_dir, tmp_path):
    output_dir, csv_path = tmp_path / "runs", tmp_path / "leaderboard" / "demo.csv"
    proc = run_codeeff(
        "demo",
        "--model", str(tiny_30_layer_model),
        "--data-dir", str(data_dir),
        "--limit-translation", "2",
        "--limit-completion", "2",
        "--max-gen-toks", "8",
        "--max-length", "256",
        "--device", "cpu",
        "--output-dir", str(output_dir),
        "--leaderboard", str(csv_path),
        "--variants", ",".join(UNTRAINED),
        cwd=tmp_path,
        timeout=1800,  # about 1 CPU-minute; a busy shared machine stretches it
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    names = list(UNTRAINED)
    tasks = (COMPLETION_TASK, TRANSLATION_TASK)
    name_of_hash = {}
    for name in names:
        results = [json.loads(path.read_text()) for path in (output_dir / name).rglob("results_*.json")]
        assert sorted(task for r in results for task in r["results"]) == sorted(tasks)
        assert all(r["config"]["model_args"]["pretrained"] == str(tiny_30_layer_model) for r in results)
        assert len(list((output_dir / name).rglob("samples_*.jsonl"))) == 2
        (variant_hash,) = {r["config"]["efficiency"]["variant"]["hash"] for r in results}
        name_of_hash[variant_hash] = name
    assert len(name_of_hash) == len(names)  # every variant is a different model

    # The leaderboard has one row per variant and task; its rows are matched to the demo's names by variant hash.
    board = pd.read_csv(csv_path)
    board.index = board["spec_hash"].map(name_of_hash).fillna("(no demo variant)")
    assert sorted(zip(board.index, board["task"], strict=True)) == sorted(
        (name, task) for name in names for task in tasks
    )
    translation = board[board["task"] == TRANSLATION_TASK]
    assert translation["ca"].between(0, 1).all()
    completion = board[board["task"] == COMPLETION_TASK]
    assert completion["edit_similarity"].between(0, 100).all()
    # The compressed variants are recorded as what they are: fewer parameters; no variant runs more layers than exist.
    assert translation.loc["baseline", "compression_ratio"] == 1
    assert translation.loc["svd-qk", "compression_ratio"] < 1
    assert translation.loc["attn-bypass", "compression_ratio"] < 1
    assert (board["layers_per_token"] <= TINY_LAYERS).all()
    assert csv_path.with_suffix(".md").exists() and csv_path.with_suffix(".html").exists()
    assert "| task" in proc.stdout and "[demo] done" in proc.stdout
