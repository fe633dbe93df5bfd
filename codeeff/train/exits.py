"""``codeeff train exits``: LITE fine-tuning for early exits (early-exit seed §4.4).

The early-exit seed: Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs"
(TU Wien, 2025).
Loss = Σ w_i·L_i / Σ w_i over the exit depths and the final layer, every L_i the next-token cross-entropy of
``head(norm(h_i))`` through the model's *shared* final norm and LM head (exactly what ``codeeff-hf`` computes on exit).
Modes:
- ``full``: every parameter trains;
- ``lora``: LoRA adapters (``peft``) on every Linear of the decoder, merged into the saved model (the adapter
  folder is kept too);
- ``norms``: every matrix frozen, only the norm gains train (decoder layers' and the shared final norm's,
  ~(2L + 1)·d parameters);
- ``adapters``: exit adapters only (:mod:`codeeff.model_adapters.exit_adapters`) — the backbone is frozen (its
  hidden states computed without gradients), one small module per exit trains on the exit hidden state before the
  shared norm + head; ``--adapter-loss next`` (LITE's next-token CE) or ``final`` (KL to the final layer's
  distribution). The final layer has no adapter, so its loss term is left out.
Output: ``OUT/model`` (HF folder; with ``adapters`` the base model is not copied, ``OUT/exit_adapters.safetensors``
is written instead), ``OUT/variant.yaml`` (``--model_args pretrained=OUT/model,spec=OUT/variant.yaml``, with
``adapters``: ``pretrained=BASE``), ``OUT/training.json`` (data rows, cost, loss per exit, agreement before/after).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch
from torch import nn

from codeeff.train import common, corpus
from codeeff.train.agreement import exit_agreement, format_table
from codeeff.train.schedule import lite_weights, parse_exits, parse_weights

MODES = ("full", "lora", "norms", "adapters")
ADAPTER_FILE = "exit_adapters.safetensors"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_common_arguments(parser)
    parser.add_argument("--mode", choices=MODES, default="norms", help="what trains (default norms: cheapest)")
    parser.add_argument("--exits", default="seed", help="exit depths: 'seed' or a list, e.g. 4,8,12")
    parser.add_argument("--weights", help="loss weights: one per exit + one for the final layer (default: LITE)")
    parser.add_argument("--ratio", type=float, default=0.9, help="geometric ratio r of the LITE weights")
    parser.add_argument("--lora-rank", type=int, default=8)
    parser.add_argument("--lora-alpha", type=int, default=16)
    parser.add_argument("--adapter-rank", type=int, default=32, help="exit adapter rank (0: full affine map)")
    parser.add_argument("--adapter-loss", choices=("next", "final"), default="final",
                        help="adapters mode: KL to the final layer's distribution (default) or next-token CE (LITE)")  # fmt: skip
    parser.add_argument("--adapter-init", choices=("identity", "lstsq"), default="identity",
                        help="adapters mode: start at the identity, or at the least-squares map to the last layer "
                        "(--max-steps 0 then keeps the fit alone)")  # fmt: skip
    parser.add_argument("--fit-blocks", type=int, default=32, help="lstsq: training blocks the map is fitted on")
    parser.add_argument("--threshold", type=float, default=0.9, help="confidence threshold written to variant.yaml")


def exit_losses(
    model: nn.Module,
    arch: Any,
    input_ids: torch.Tensor,
    depths: list[int],
    adapters: Any = None,
    adapter_loss: str = "next",
) -> dict[int, torch.Tensor]:
    """Next-token cross-entropy at each exit depth (shared norm + head) and at the final layer (key = L).

    With ``adapters`` (frozen backbone, see :class:`AdaptedModel`) the exits read ``adapters(h_d, d)``, the backbone
    runs without gradients and the final layer (which has no adapter) is left out; ``adapter_loss="final"`` makes
    each exit's loss the KL divergence from the final layer's distribution instead of the next-token CE.
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if adapters is not None:
        with torch.no_grad():
            out = base(input_ids=input_ids, output_hidden_states=True, use_cache=False)
    else:
        out = model(input_ids=input_ids, output_hidden_states=True, use_cache=False)
    target = input_ids[:, 1:].reshape(-1)

    def ce(logits: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), target)

    if adapters is None:
        losses = {d: ce(arch.head_logits(base, out.hidden_states[d])) for d in depths}
        losses[len(arch.layers(base))] = ce(out.logits)
        return losses
    final_logp = torch.log_softmax(out.logits.float(), -1).reshape(-1, out.logits.shape[-1])
    losses = {}
    for d in depths:
        logits = arch.head_logits(base, adapters(out.hidden_states[d].detach(), d))
        if adapter_loss == "final":
            logp = torch.log_softmax(logits.float(), -1).reshape(-1, logits.shape[-1])
            losses[d] = nn.functional.kl_div(logp, final_logp, log_target=True, reduction="batchmean")
        else:
            losses[d] = ce(logits)
    return losses


class AdaptedModel(nn.Module):
    """The trainable part of ``--mode adapters``: the exit adapters; the frozen backbone is held outside the
    module tree, so optimizer, checkpoints and ``state_dict`` see the adapters only."""

    def __init__(self, backbone: nn.Module, adapters: nn.Module):
        super().__init__()
        self.adapters = adapters
        object.__setattr__(self, "backbone", backbone)
        for p in backbone.parameters():
            p.requires_grad_(False)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("AdaptedModel is trained through exit_losses, not called")


def make_trainer(
    model: nn.Module, arch: Any, weights: dict[int, float], train_args: Any, dataset: Any, adapter_loss: str = "next"
):
    from transformers import Trainer

    adapted = isinstance(model, AdaptedModel)
    base = model.backbone if adapted else model.get_base_model() if hasattr(model, "get_base_model") else model
    n_layers = len(arch.layers(base))
    exit_depths = [d for d in weights if d != n_layers]
    if adapted:  # the final layer has no adapter: its term is a constant
        weights = {d: w for d, w in weights.items() if d != n_layers}
    total_weight = sum(weights.values())

    class LiteTrainer(Trainer):
        """Trainer whose loss is the weighted exit loss; logs the mean loss of every exit since the last log."""

        def __init__(self, *a: Any, **kw: Any):
            super().__init__(*a, **kw)
            self.sums: dict[int, float] = {}
            self.counts = 0

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if adapted:
                ids = inputs["input_ids"]
                losses = exit_losses(base, arch, ids, exit_depths, model.adapters, adapter_loss)
            else:
                losses = exit_losses(model, arch, inputs["input_ids"], exit_depths)
            loss = sum(weights[d] * value for d, value in losses.items()) / total_weight
            for d, value in losses.items():
                self.sums[d] = self.sums.get(d, 0.0) + float(value.detach())
            self.counts += 1
            return (loss, None) if return_outputs else loss

        def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
            if self.counts and "loss" in logs:
                logs.update({f"loss_exit_{d}": round(s / self.counts, 4) for d, s in sorted(self.sums.items())})
                self.sums, self.counts = {}, 0
            super().log(logs, start_time)

    return LiteTrainer(model=model, args=train_args, train_dataset=dataset)


def set_trainable(model: nn.Module, mode: str, args: argparse.Namespace, depths: list[int] = ()) -> nn.Module:
    if mode == "adapters":
        from codeeff.model_adapters.early_exit.adapters import ExitAdapters

        return AdaptedModel(model, ExitAdapters(list(depths), model.config.hidden_size, args.adapter_rank))
    if mode == "full":
        for p in model.parameters():
            p.requires_grad_(True)
        return model
    if mode == "lora":
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(
            r=args.lora_rank, lora_alpha=args.lora_alpha, target_modules="all-linear", lora_dropout=0.0, bias="none"
        )
        return get_peft_model(model, config)
    for name, p in model.named_parameters():
        parts = name.split(".")
        p.requires_grad_(len(parts) >= 2 and "norm" in parts[-2])
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("--mode norms: the model has no norm parameters to train")
    return model


def run(args: argparse.Namespace) -> dict[str, Any]:
    from codeeff.model_adapters.arch import spec_for_model

    n_layers = common.model_layers(args.model)
    depths = parse_exits(args.exits, n_layers)
    weights = (
        parse_weights(args.weights, depths, n_layers) if args.weights else lite_weights(depths, n_layers, args.ratio)
    )
    common.seed_everything(args.seed)
    out = common.ensure_out(args.out, args.resume)
    model, tokenizer = common.load_model(args.model, args.dtype)
    arch = spec_for_model(model)
    data = corpus.load_for(args)
    train_blocks = corpus.token_blocks(tokenizer, data.train, args.seq_len, args.max_blocks)
    val_blocks = corpus.token_blocks(tokenizer, data.val, args.seq_len, 16) if data.val else train_blocks[:4]
    record = common.Record("exits", vars(args), data.record)
    record.results["exit_depths"] = depths
    record.results["weights"] = {str(d): w for d, w in weights.items()}
    before = exit_agreement(model, arch, val_blocks, depths)

    model.train()
    trained = set_trainable(model, args.mode, args, depths)
    record.results["trainable_params"] = sum(p.numel() for p in trained.parameters() if p.requires_grad)
    fit_cost = (
        _fit_adapters(args, model, arch, trained, train_blocks, depths, record) if args.mode == "adapters" else {}
    )
    if not (fit_cost and args.max_steps == 0):
        train_args = common.training_arguments(args)
        dataset = corpus.BlockDataset(train_blocks)
        trainer = make_trainer(trained, arch, weights, train_args, dataset, args.adapter_loss)
        common.run_trainer(trainer, args, record)
    if fit_cost:  # the least-squares fit is part of what the variant cost to make
        record.cost = {**record.cost, **fit_cost}
        trained_s = record.cost.get("wall_s", 0.0)  # None: a resumed run whose earlier time is unknown
        record.cost["wall_s"] = round(trained_s + fit_cost["fit_s"], 2) if trained_s is not None else None
        record.cost["steps"] = record.cost.get("steps", 0)
        record.cost["tokens_seen"] = record.cost.get("tokens_seen", 0) + fit_cost["fit_tokens"]
    if args.mode == "adapters":
        return _finish_adapters(args, out, model, trained.adapters, arch, val_blocks, depths, before, record)

    if args.mode == "lora":
        trained.save_pretrained(out / "adapter")
        model = trained.merge_and_unload()
    model.eval()
    after = exit_agreement(model, arch, val_blocks, depths)
    model.save_pretrained(out / "model")
    tokenizer.save_pretrained(out / "model")
    write_variant(out / "variant.yaml", depths, args.threshold, f"LITE exits ({args.mode})")
    record.results.update({"agreement_before": before, "agreement_after": after, "table": format_table(before, after)})
    record.results["outputs"] = {"model": str(out / "model"), "variant": str(out / "variant.yaml")}
    record.write(out / "model")
    record.write(out)
    return record.__dict__


def _fit_adapters(
    args: argparse.Namespace,
    model: nn.Module,
    arch: Any,
    trained: nn.Module,
    train_blocks: torch.Tensor,
    depths: list[int],
    record: common.Record,
) -> dict[str, Any]:
    """``--adapter-init lstsq``: the closed-form fit (:mod:`codeeff.train.exit_fit`); {} for the identity start."""
    if args.adapter_init != "lstsq":
        return {}
    import time

    from codeeff.train.exit_fit import exit_pairs, fit_adapters

    start = time.monotonic()
    blocks = train_blocks[: args.fit_blocks]
    pairs, final = exit_pairs(model, arch, blocks, depths)
    record.results["fit_r2"] = fit_adapters(trained.adapters, pairs, final)
    return {"fit_s": round(time.monotonic() - start, 2), "fit_tokens": int(blocks.numel())}


def _finish_adapters(
    args: argparse.Namespace,
    out: Path,
    model: nn.Module,
    adapters: nn.Module,
    arch: Any,
    val_blocks: torch.Tensor,
    depths: list[int],
    before: dict[str, Any],
    record: common.Record,
) -> dict[str, Any]:
    """Save the exit adapters alone (the backbone is unchanged) and a variant spec that reads them with BASE."""
    from codeeff.model_adapters.early_exit import adapters as exit_adapters

    model.eval()
    adapters.eval()
    after = exit_agreement(model, arch, val_blocks, depths, adapters=adapters)
    path = out / ADAPTER_FILE
    digest = exit_adapters.save(path, adapters, {"base_model": Path(args.model).name})
    write_variant(
        out / "variant.yaml", depths, args.threshold, f"exit adapters (rank {args.adapter_rank})", (path, digest)
    )
    record.results.update({"agreement_before": before, "agreement_after": after, "table": format_table(before, after)})
    record.results["outputs"] = {"exit_adapters": str(path), "sha256": digest, "variant": str(out / "variant.yaml")}
    record.write(out)
    return record.__dict__


def write_variant(
    path: Path, depths: list[int], threshold: float, name: str, adapters: tuple[Path, str] | None = None
) -> None:
    lines = [
        f"name: {name}",
        f"early_exit: confidence:{threshold}",
        f"exit_layers: [{', '.join(map(str, depths))}]",
        "kv_mode: copy",
    ]
    if adapters is not None:  # the backbone is the base model: the variant's training cost is this record
        lines += [f"exit_adapters: {adapters[0].resolve()}", f"exit_adapters_sha256: {adapters[1]}"]
        lines.append(f"training: {(adapters[0].parent / common.RECORD_FILE).resolve()}")
    path.write_text("\n".join(lines) + "\n")
