"""Real lm-eval output for the leaderboard tests: tiny random-init models run through the ``codeeff`` command.

Real runs cost ~20-40 s each (lm-eval indexes its built-in tasks on every start), so they are made once per test
session and shared by the xdist workers: the first worker to arrive builds them under a file lock, the others wait
and reuse the folder. The two runs start in parallel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parents[2]
# A real codeeff task on the real CodeXGLUE dev rows; a short subset and short generations keep it quick.
TASK = "codexglue_line_py150"
LIMIT = "6"
GEN_KWARGS = "max_gen_toks=8"


@dataclass(frozen=True)
class RealRuns:
    root: Path
    plain: Path  # --model hf, tiny llama
    # --model codeeff-hf, the same llama with early_exit=fixed:2; before codeeff-hf existed: --model hf, tiny qwen2
    second: Path
    second_is_variant: bool
    commands: dict[str, list[str]]


def _command(model: str, model_dir: Path, out: Path, data_dir: Path, extra_args: str = "") -> list[str]:
    exe = str(Path(sys.executable).with_name("codeeff"))
    model_args = f"pretrained={model_dir},dtype=float32{extra_args}"
    return [exe, "run", "--model", model, "--model_args", model_args, "--tasks", TASK, "--limit", LIMIT,
            "--gen_kwargs", GEN_KWARGS, "--metadata", json.dumps({"data_dir": str(data_dir)}),
            "--output_path", str(out), "--log_samples", "--batch_size", "2", "--device", "cpu"]  # fmt: skip


def _has_codeeff_hf() -> bool:
    return importlib.util.find_spec("codeeff.model_adapters.lm") is not None


def _build(root: Path, data_dir: Path) -> RealRuns:
    from codeeff.model_adapters.tiny import save_tiny_model

    llama = save_tiny_model(root / "models" / "llama", "llama")
    commands = {"plain": _command("hf", llama, root / "out" / "plain", data_dir)}
    if _has_codeeff_hf():
        commands["second"] = _command("codeeff-hf", llama, root / "out" / "second", data_dir, ",early_exit=fixed:2")
    else:
        qwen = save_tiny_model(root / "models" / "qwen2", "qwen2")
        commands["second"] = _command("hf", qwen, root / "out" / "second", data_dir)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "DISABLE_MULTIPROC": "1"}
    procs = {name: subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True) for name, cmd in commands.items()}  # fmt: skip
    for name, proc in procs.items():
        output, _ = proc.communicate(timeout=1800)  # generous: shared CI machines can be slow
        if proc.returncode != 0:
            raise RuntimeError(f"real run {name} failed ({proc.returncode}):\n{output[-3000:]}")
    (root / "commands.json").write_text(json.dumps(commands))
    return _runs(root)


def _runs(root: Path) -> RealRuns:
    commands = json.loads((root / "commands.json").read_text())
    out = root / "out"
    return RealRuns(root, out / "plain", out / "second", "codeeff-hf" in commands["second"], commands)


@pytest.fixture(scope="session")
def real_runs(tmp_path_factory, data_dir) -> RealRuns:
    """Two real runs of codexglue_line_py150 (6 dev rows), shared by all workers of this session."""
    reuse = os.environ.get("CODEEFF_LEADERBOARD_REAL_RUNS")  # a folder made by an earlier session (for iterating)
    if reuse and (Path(reuse) / "commands.json").is_file():
        return _runs(Path(reuse))
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker has base = <session>/popen-gwN, so the session folder is shared by the workers
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "leaderboard-real-runs"
    shared.mkdir(exist_ok=True)
    with FileLock(str(shared) + ".lock"):
        if (shared / "commands.json").is_file():
            return _runs(shared)
        return _build(shared, data_dir)
