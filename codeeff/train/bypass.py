"""``codeeff train bypass``: attention degeneration fine-tuning (attention-bypass seed, eq. 3.10 and 4.1).

The attention-bypass seed: Candi, "Do LLMs really need so much Attention?" (Sapienza University of Rome, 2024); eq. 3.10
in §3.3, eq. 4.1 in §4.5.
On the selected layers the attention branch becomes ``M·Attn(x) + (s − M)·x`` (the residual add included), with
``M = M0·(1 − epoch/E)`` for epoch = 0..E−1 (eq. 4.1), so the attention fades out and is replaced by ``s·x`` (the seed's
2·x; ``--input-scale`` 1.7 is its later variant). ``--m-scale F --m-scale-layers L,...`` multiplies M by F on some
layers (the seed's 0.1). The runtime is ``codeeff-hf``'s own bypass (:class:`BypassSet`), re-applied at every epoch
start with the epoch's M. Selection: ``nose:N`` (NOSE, Algorithm 1, scoring the ``s·x`` replacement),
``reverse-nose:N`` (NOSE run for ``--nose-rounds`` rounds, the *last* N selected taken first: the seed's §4.6 /
§5 proposal to start from the later layers), ``cosine:N``, or an explicit list. ``--train mlp`` (default; the seed:
"retrain only the latter part of the decoder layer") trains the MLP and its norm of the selected layers; ``layers``
the whole selected layers; ``all`` every parameter.
Output: ``OUT/model`` + ``OUT/variant.yaml`` (M = 0 at the end: ``bypass_mode: blend, blend_m: 0, input_scale: s``).
"""

from __future__ import annotations

import argparse
from typing import Any

import torch
from torch import nn

from codeeff.train import common, corpus


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_common_arguments(parser)
    parser.add_argument("--select", required=True, help="nose:N | reverse-nose:N | cosine:N | a layer list (0-based)")
    parser.add_argument("--nose-rounds", type=int, help="reverse-nose: NOSE rounds to run (default: all layers)")
    parser.add_argument("--calib-blocks", type=int, default=8, help="validation blocks used for the selection")
    parser.add_argument("--m0", type=float, default=1.0, help="M0, the initial blend (eq. 4.1)")
    parser.add_argument("--input-scale", type=float, default=2.0, help="s: attention is replaced by s·x (seed: 2)")
    parser.add_argument("--m-scale", type=float, default=1.0, help="factor on M in --m-scale-layers (seed: 0.1)")
    parser.add_argument("--m-scale-layers", default="", help="layers whose M is scaled (default: none)")
    parser.add_argument("--train", choices=["mlp", "layers", "all"], default="mlp", help="what trains")
    parser.set_defaults(epochs=3.0, lr=5e-5)


def _layer_list(text: str, n_layers: int, what: str) -> list[int]:
    try:
        layers = sorted({int(x) for x in text.replace(",", " ").split()})
    except ValueError:
        raise ValueError(f"{what}: expected layer numbers, got {text!r}") from None
    bad = [i for i in layers if not 0 <= i < n_layers]
    if bad:
        raise ValueError(f"{what}: layers {bad} out of range 0..{n_layers - 1}")
    return layers


def select_layers(model: nn.Module, arch: Any, args: argparse.Namespace, blocks: torch.Tensor) -> tuple[list, dict]:
    from codeeff.model_adapters.bypass.nose import top_similarity
    from codeeff.model_adapters.bypass.selection import attention_cosine, nose_layers

    n_layers = len(arch.layers(model))
    method, _, count_text = args.select.partition(":")
    if method not in ("nose", "reverse-nose", "cosine"):
        layers = _layer_list(args.select, n_layers, "--select")
        if not layers:
            raise ValueError("--select: no layer given")
        return layers, {"method": "explicit"}
    if not count_text.isdigit() or not 1 <= int(count_text) <= n_layers:
        raise ValueError(f"--select {args.select}: N must be in 1..{n_layers}")
    count = int(count_text)
    batches = [{"input_ids": b[None], "attention_mask": torch.ones_like(b[None])} for b in blocks]
    if method == "cosine":
        similarity = attention_cosine(model, arch, batches)
        return top_similarity(similarity, count, range(n_layers)), {"method": "cosine", "cosine": similarity}
    rounds = count if method == "nose" else (args.nose_rounds or n_layers)
    if rounds < count or rounds > n_layers:
        raise ValueError(f"--nose-rounds must be in {count}..{n_layers}, got {rounds}")
    result = nose_layers(model, arch, batches, rounds, range(n_layers), 0.0, args.input_scale)
    order = list(result.selected)
    chosen = order[:count] if method == "nose" else order[::-1][:count]
    return sorted(chosen), {"method": method, "order": order, "nose": result.as_dict()}


class FadingBypass:
    """The bypass of the selected layers at blend M (per-layer factors), re-applied whenever M changes."""

    def __init__(self, model: nn.Module, arch: Any, layers: list[int], scale: dict[int, float], input_scale: float):
        self.model, self.arch, self.layers, self.scale, self.input_scale = model, arch, layers, scale, input_scale
        self.sets: list[Any] = []

    def set_m(self, m: float) -> None:
        from codeeff.model_adapters.bypass.runtime import BypassSet

        self.restore()
        groups: dict[float, list[int]] = {}
        for layer in self.layers:
            groups.setdefault(m * self.scale.get(layer, 1.0), []).append(layer)
        self.sets = [
            BypassSet(self.model, self.arch, group, value, self.input_scale).apply() for value, group in groups.items()
        ]

    def restore(self) -> None:
        while self.sets:
            self.sets.pop().restore()


def set_trainable(model: nn.Module, arch: Any, layers: list[int], what: str) -> int:
    for p in model.parameters():
        p.requires_grad_(what == "all")
    if what != "all":
        stack = arch.layers(model)
        for index in layers:
            for name, p in stack[index].named_parameters():
                attention_side = name.split(".")[0] in (arch.attn_attr, arch.attn_norm_attr)
                p.requires_grad_(what == "layers" or not attention_side)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from transformers import Trainer, TrainerCallback

    from codeeff.model_adapters.arch import spec_for_model

    common.seed_everything(args.seed)
    out = common.ensure_out(args.out, args.resume)
    model, tokenizer = common.load_model(args.model, args.dtype)
    arch = spec_for_model(model)
    n_layers = len(arch.layers(model))
    epochs = int(args.epochs)
    if epochs < 1 or epochs != args.epochs or args.max_steps > 0:
        raise ValueError(
            "bypass trains whole epochs (eq. 4.1 steps M per epoch): give an integer --epochs ≥ 1, no --max-steps"
        )
    data = corpus.load_for(args)
    train_blocks = corpus.token_blocks(tokenizer, data.train, args.seq_len, args.max_blocks)
    val_blocks = corpus.token_blocks(tokenizer, data.val, args.seq_len, 16) if data.val else train_blocks[:4]
    layers, selection = select_layers(model, arch, args, val_blocks[: args.calib_blocks])
    scaled = _layer_list(args.m_scale_layers, n_layers, "--m-scale-layers") if args.m_scale_layers else []
    fading = FadingBypass(model, arch, layers, dict.fromkeys(scaled, args.m_scale), args.input_scale)
    record = common.Record("bypass", vars(args), data.record)
    dense_loss = common.mean_loss(model, val_blocks)
    fading.set_m(0.0)
    loss_before = common.mean_loss(model, val_blocks)
    fading.restore()
    schedule = [args.m0 * (1 - e / epochs) for e in range(epochs)]

    class FadeM(TrainerCallback):
        def on_epoch_begin(self, _args, state, control, **kwargs):
            epoch = min(int(round(state.epoch or 0)), epochs - 1)
            fading.set_m(schedule[epoch])

    model.train()
    record.results["trainable_params"] = set_trainable(model, arch, layers, args.train)
    trainer = Trainer(
        model=model,
        args=common.training_arguments(args),
        train_dataset=corpus.BlockDataset(train_blocks),
        callbacks=[FadeM()],
    )
    common.run_trainer(trainer, args, record)
    fading.restore()
    model.eval()
    fading.set_m(0.0)
    loss_after = common.mean_loss(model, val_blocks)
    fading.restore()
    model.save_pretrained(out / "model")
    tokenizer.save_pretrained(out / "model")
    (out / "variant.yaml").write_text(
        f"name: attention bypass fine-tuned ({selection['method']})\nattn_bypass: [{', '.join(map(str, layers))}]\n"
        f"bypass_mode: blend\nblend_m: 0.0\ninput_scale: {args.input_scale}\n"
    )
    record.results.update(
        {
            "layers": layers,
            "selection": selection,
            "m_schedule": schedule,
            "val_loss_dense": dense_loss,
            "val_loss_bypassed_before": loss_before,
            "val_loss_bypassed_after": loss_after,
            "outputs": {"model": str(out / "model"), "variant": str(out / "variant.yaml")},
        }
    )
    record.results["table"] = (
        f"layers {layers} ({selection['method']}); val loss: dense {dense_loss:.4f}, "
        f"bypassed before {loss_before:.4f}, after {loss_after:.4f}"
    )
    record.write(out / "model")
    record.write(out)
    return record.__dict__
