"""What every producer shares: options, the HF Trainer set-up (checkpoints, resume, seed, progress bar), the record."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

RECORD_FILE = "training.json"
RECORD_FORMAT = "codeeff.training/1"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="base model folder (save_pretrained layout)")
    parser.add_argument("--out", required=True, help="output folder (checkpoints go to OUT/checkpoints)")
    parser.add_argument("--language", default="python", choices=["python", "java"], help="PY150 or JavaCorpus rows")
    parser.add_argument("--data-dir", help="data root (default: the data resolver: CODEEFF_DATA_DIR, cache)")
    parser.add_argument("--train-rows", type=int, default=200, help="held-out rows to train on (from the file's end)")
    parser.add_argument("--val-rows", type=int, default=50, help="held-out rows to validate on (just before them)")
    parser.add_argument("--skip-last-rows", type=int, default=0,
                        help="rows at the file's end left out (e.g. the rows another producer trained on): training "
                        "and validation rows come just before them")  # fmt: skip
    parser.add_argument("--seq-len", type=int, default=256, help="tokens per training block")
    parser.add_argument("--max-blocks", type=int, default=None, help="cap on training blocks")
    parser.add_argument("--epochs", type=float, default=1.0, help="passes over the training blocks")
    parser.add_argument("--max-steps", type=int, default=-1, help="optimizer steps (overrides --epochs when > 0)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--grad-accum", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-steps", type=int, default=50, help="checkpoint every N steps (resumable)")
    parser.add_argument("--resume", action="store_true", help="resume from the last checkpoint in OUT/checkpoints")
    parser.add_argument("--logging-steps", type=int, default=5)
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"], help="weight dtype")
    parser.add_argument("--autocast", default="none", choices=["none", "bf16"],
                        help="bf16: float32 weights and optimizer, matmuls in bfloat16 (torch autocast; fast on CPUs "
                        "with AMX / AVX512-BF16)")  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def weights_sha256(model_dir: str | Path) -> str:
    """sha256 over a model folder's config and weight files (names and contents): which weights a producer started
    from, so a record made from other weights than a folder now holds is told apart (a retrained model at one path)."""
    from codeeff.data import sha256_file

    folder = Path(model_dir)
    files = [folder / "config.json", *sorted(folder.glob("*.safetensors")), *sorted(folder.glob("*.bin"))]
    digest = hashlib.sha256()
    for file in (f for f in files if f.is_file()):
        digest.update(file.name.encode() + b"\0" + sha256_file(file).encode() + b"\n")
    return digest.hexdigest()


@dataclass
class Record:
    """``training.json``: what was trained, from which weights (``data.base_model``: the ``--model`` folder's path
    and ``weights_sha256``, filled in on creation), on which rows, at what cost, and the loss history."""

    producer: str
    args: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    cost: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        model = self.args.get("model")
        if model and Path(model).is_dir():
            self.data.setdefault("base_model", {"path": str(model), "weights_sha256": weights_sha256(model)})

    def write(self, folder: str | Path) -> Path:
        path = Path(folder) / RECORD_FILE
        payload = {"format": RECORD_FORMAT, **self.__dict__}
        path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        return path


def record_chain(record_file: str | Path) -> list[tuple[Path, dict[str, Any]]]:
    """The record (path, contents) and the records of the ``codeeff train`` runs its base model came out of, newest
    first: a producer started from the model folder ``M`` that a record beside it (``M/../training.json``, whose
    ``results.outputs.model`` is ``M``) wrote; so the cost to make a model trained in stages is the sum over the
    chain. A base model whose weights differ from those the later stage recorded breaks the chain loudly: the
    earlier record no longer describes what was trained on. Each record file is read once."""
    path = Path(record_file).resolve()
    chain = [(path, json.loads(path.read_text()))]
    while True:
        base = chain[-1][1]["data"].get("base_model") or {}
        if not base.get("path"):
            return chain
        folder = Path(base["path"]).resolve()
        parent = (folder.parent / RECORD_FILE).resolve()
        if not parent.is_file() or parent in (p for p, _ in chain):
            return chain
        record = json.loads(parent.read_text())
        made = (record.get("results") or {}).get("outputs") or {}
        if not made.get("model") or Path(made["model"]).resolve() != folder:
            return chain
        if base.get("weights_sha256") and base["weights_sha256"] != weights_sha256(folder):
            raise ValueError(
                f"{chain[-1][0]} was trained from {folder}, whose weights changed since; {parent} no longer "
                "describes the model it started from"
            )
        chain.append((parent, record))


def training_arguments(args: argparse.Namespace, **overrides: Any):
    from transformers import TrainingArguments

    values = dict(
        output_dir=str(Path(args.out) / "checkpoints"),
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum,
        learning_rate=args.lr,
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        logging_steps=args.logging_steps,
        save_steps=args.save_steps,
        save_total_limit=2,
        seed=args.seed,
        data_seed=args.seed,
        report_to=[],
        disable_tqdm=args.no_progress,
        use_cpu=not torch.cuda.is_available(),
        dataloader_num_workers=0,
        remove_unused_columns=False,
        lr_scheduler_type="constant",
        warmup_steps=0,
        bf16=args.dtype == "bfloat16" or getattr(args, "autocast", "none") == "bf16",
    )
    values.update(overrides)
    return TrainingArguments(**values)


def last_checkpoint(args: argparse.Namespace) -> str | None:
    """The checkpoint to resume from (``--resume``), or None; a resume request without one is an error."""
    return resume_checkpoint(Path(args.out)) if args.resume else None


def resume_checkpoint(out: Path) -> str:
    """The newest Trainer checkpoint under ``out/checkpoints``; none there is an error (a ``--resume`` request)."""
    from transformers.trainer_utils import get_last_checkpoint

    folder = out / "checkpoints"
    found = get_last_checkpoint(str(folder)) if folder.is_dir() else None
    if found is None:
        raise ValueError(f"--resume: no checkpoint in {folder}")
    return found


CHECKPOINT_COST_FILE = "codeeff_cost.json"


def earlier_wall_s(checkpoint: str | None) -> float | None:
    """Training wall time spent before ``checkpoint`` (0 without one; None when the checkpoint does not say)."""
    if checkpoint is None:
        return 0.0
    path = Path(checkpoint) / CHECKPOINT_COST_FILE
    if not path.is_file():
        return None
    return float(json.loads(path.read_text())["wall_s"])


def cost_callback(earlier: float | None):
    """A Trainer callback that writes the cumulative training wall time into every checkpoint it saves, so a
    resumed run's record counts every invocation (``earlier``: seconds before this invocation, None if unknown)."""
    from transformers import TrainerCallback

    start = time.monotonic()

    class CostToCheckpoint(TrainerCallback):
        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if earlier is not None and folder.is_dir():
                payload = {"wall_s": round(earlier + time.monotonic() - start, 2), "step": state.global_step}
                (folder / CHECKPOINT_COST_FILE).write_text(json.dumps(payload) + "\n")

    return CostToCheckpoint()


def run_trainer(trainer: Any, args: argparse.Namespace, record: Record) -> None:
    """Train (resuming if asked), then put wall time, steps, tokens seen and the log history into ``record``.

    A step sees ``batch_size * grad_accum`` blocks of ``seq_len`` tokens (the trainer's arguments come from ``args``).
    ``wall_s`` counts every invocation of a resumed run (each checkpoint stores the time spent up to it); ``null``
    when the checkpoint resumed from does not say (one written before it did), with ``wall_s_this_invocation`` kept.
    """
    tokens_per_step = args.batch_size * args.grad_accum * args.seq_len
    resume_from = last_checkpoint(args)
    earlier = earlier_wall_s(resume_from)
    trainer.add_callback(cost_callback(earlier))
    start = time.monotonic()
    output = trainer.train(resume_from_checkpoint=resume_from)
    wall = time.monotonic() - start
    steps = int(trainer.state.global_step)
    record.history = [dict(entry) for entry in trainer.state.log_history]
    record.cost = {
        "wall_s": round(earlier + wall, 2) if earlier is not None else None,
        "wall_s_this_invocation": round(wall, 2),
        "steps": steps,
        "tokens_seen": steps * tokens_per_step,
        "train_loss": getattr(output, "training_loss", None),
        "device": str(trainer.args.device),
        "torch_threads": torch.get_num_threads(),
        "resumed_from": resume_from,
        "note": "wall_s counts every invocation (null: the checkpoint resumed from does not record the time before "
        "it); tokens_seen counts all steps incl. resumed ones",
    }


def model_layers(path: str) -> int:
    """The decoder depth of the model folder, read from its config alone (checks before any weights load)."""
    from transformers import AutoConfig

    from codeeff.model_adapters.arch import spec_for_config

    if not Path(path).is_dir():
        raise ValueError(f"--model: {path} is not a model folder")
    config = AutoConfig.from_pretrained(path)
    return spec_for_config(config).num_layers(config)


def load_model(path: str, dtype: str = "float32"):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not Path(path).is_dir():
        raise ValueError(f"--model: {path} is not a model folder")
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
    tokenizer = AutoTokenizer.from_pretrained(path)
    return model, tokenizer


def ensure_out(path: str, resume: bool) -> Path:
    """Create ``--out``: a new or empty folder, or (``--resume``) one holding a checkpoint; checked before any model
    loads."""
    out = Path(path)
    if resume:
        resume_checkpoint(out)
    elif out.exists() and any(out.iterdir()):
        raise ValueError(f"--out {out} exists and is not empty (choose a new folder, or --resume)")
    out.mkdir(parents=True, exist_ok=True)
    return out


def seed_everything(seed: int) -> None:
    from transformers import set_seed

    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    set_seed(seed)


@torch.no_grad()
def mean_loss(model: Any, blocks: torch.Tensor, batch_size: int = 4) -> float:
    """Mean next-token cross-entropy of ``model`` over ``blocks`` (its perplexity is ``exp`` of this)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        for start in range(0, blocks.shape[0], batch_size):
            ids = blocks[start : start + batch_size].to(next(model.parameters()).device)
            out = model(input_ids=ids, labels=ids, use_cache=False)
            n = ids[:, 1:].numel()
            total += float(out.loss) * n
            count += n
    finally:
        model.train(was_training)
    return total / count
