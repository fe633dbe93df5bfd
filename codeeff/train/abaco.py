"""``codeeff train abaco``: Adapter-Based Approximation and Compression Optimization (factorization seed §6.3).

The factorization seed: Simionato, "Exploring Redundancy and Shared Representations for Transformer Models Optimization"
(PoliMi, 2024).
Every targeted Linear becomes ``W = α·W_r + A·B`` with A·B trained and α decaying to 0, after which W_r is dropped
and the layer is the low-rank ``A·B`` alone — saved as a factorized variant folder (``variant.json`` +
``factors.safetensors``) that ``codeeff-hf`` loads with ``factors=OUT/factors``.

- Init (``--init``): ``svd`` (truncated SVD, A = U_r·S_r, B = V_rᵀ), ``globalfact`` (GlobaL Fact: one shared B = G
  per role, A_j = W_j·pinv(G); the shared G stays shared while training), or ``lora`` (the seed's own start: B
  small random, A = 0). ``W_r = W0 − A0·B0`` (= W0 for ``lora``), so the model at α = 1 is exactly the original one
  whatever the init — the seed's "performance of the adapter-wrapped model remains identical" — and α → 0 leaves
  exactly the trained factors. (With SVD init, plain ``α·W0 + A·B`` would start from ≈ 2·W0.)
- Decay (``--decay``) over the first ``1 − --tail`` of the steps: ``linear`` α0·(1 − t/T), ``exp`` α0·b^(−c·t) with
  ``--exp-base`` b (seed: 2) and c = ``--exp-halvings``/T (seed: 2^(−x/16000)); the last ``--tail`` fraction of the
  steps trains the factors at α = 0 (W0 dropped).
- Only A, B (and the targeted layers' biases) train; everything else is frozen, so the folder holds the whole variant.
The record compares held-out perplexity: dense, plain truncated SVD at the same rank (no training), and ABACO.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import torch
from torch import nn

from codeeff.train import common, corpus


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_common_arguments(parser)
    parser.add_argument("--targets", default="gate,up,down", help="roles to factorize (default: the MLP)")
    parser.add_argument("--layers", help="layers to target, e.g. 0,1,2 (default all)")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--rank", type=int, help="rank r of A·B")
    size.add_argument("--param-ratio", type=float, help="kept parameter fraction of each targeted matrix (CR)")
    parser.add_argument("--init", choices=["svd", "globalfact", "lora"], default="svd")
    parser.add_argument("--global-init", type=int, default=2, choices=[1, 2], help="GlobaL Fact G init method")
    parser.add_argument(
        "--gf-pretrain-steps",
        type=int,
        default=0,
        help="globalfact: init pre-training steps (G and L_j fitted to the original matrices)",
    )
    parser.add_argument("--gf-pretrain-lr", type=float, default=1e-3)  # fmt: skip
    parser.add_argument("--decay", choices=["linear", "exp"], default="linear")
    parser.add_argument("--alpha0", type=float, default=1.0)
    parser.add_argument("--exp-base", type=float, default=2.0)
    parser.add_argument("--exp-halvings", type=float, default=10.0, help="exp: α halves this many times over T")
    parser.add_argument("--tail", type=float, default=0.2, help="fraction of steps at α = 0 (W0 dropped)")
    parser.set_defaults(lr=1e-3, max_steps=100)


class Alpha:
    """α(t) over ``total`` optimizer steps (shared by every ABACO layer)."""

    def __init__(self, args: argparse.Namespace, total: int):
        self.value = args.alpha0
        self.args = args
        self.decay_steps = max(1, int(round(total * (1 - args.tail))))

    def at(self, step: int) -> float:
        a = self.args
        if step >= self.decay_steps:
            return 0.0
        if a.decay == "linear":
            return a.alpha0 * (1 - step / self.decay_steps)
        return a.alpha0 * a.exp_base ** (-(a.exp_halvings / self.decay_steps) * step)


class AbacoLinear(nn.Module):
    """``y = α·(x W_rᵀ) + factors(x)``; the residual W_r is a frozen buffer, skipped once α = 0."""

    def __init__(self, residual: torch.Tensor, factors: nn.Module, alpha: Alpha):
        super().__init__()
        self.register_buffer("residual", residual, persistent=False)
        self.factors = factors
        self.alpha = alpha

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.factors(x)
        if self.alpha.value > 0:
            y = y + self.alpha.value * nn.functional.linear(x, self.residual)
        return y


def factor_spec(args: argparse.Namespace, n_layers: int):
    from codeeff.model_adapters.factorize.spec import FactorizeSpec

    layers = None
    if args.layers:
        layers = tuple(sorted({int(x) for x in args.layers.replace(",", " ").split()}))
    method = "globalfact" if args.init == "globalfact" else "svd"
    roles = tuple(r for r in args.targets.replace(",", " ").split() if r)
    return FactorizeSpec(method, roles, layers, args.rank, args.param_ratio, init=args.global_init)


def lora_start(plan: Any, seed: int) -> None:
    """The seed's LoRA start: down (B) small random, up (A) zero."""
    generator = torch.Generator().manual_seed(seed)
    for name, t in plan.tensors.items():
        if name.endswith(".down"):
            t.copy_(torch.randn(t.shape, generator=generator, dtype=t.dtype) / math.sqrt(t.shape[1]))
        elif name.endswith(".up"):
            t.zero_()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from transformers import Trainer, TrainerCallback

    from codeeff.model_adapters.arch import spec_for_model
    from codeeff.model_adapters.factorize import linalg
    from codeeff.model_adapters.factorize.plan import build_modules, compute_plan, dense_linear
    from codeeff.model_adapters.factorize.storage import save_factorized
    from codeeff.model_adapters.factorize.transform import FactorizeTransform

    if not 0 <= args.tail < 1:
        raise ValueError(f"--tail must be in [0, 1), got {args.tail}")
    if args.max_steps <= 0:
        raise ValueError("abaco schedules α over --max-steps: give --max-steps > 0")
    common.seed_everything(args.seed)
    out = common.ensure_out(args.out, args.resume)
    model, tokenizer = common.load_model(args.model, args.dtype)
    arch = spec_for_model(model)
    spec = factor_spec(args, len(arch.layers(model))).validate(arch, model.config)
    data = corpus.load_for(args)
    train_blocks = corpus.token_blocks(tokenizer, data.train, args.seq_len, args.max_blocks)
    val_blocks = corpus.token_blocks(tokenizer, data.val, args.seq_len, 32) if data.val else train_blocks[:4]
    record = common.Record("abaco", vars(args), data.record)

    dense_loss = common.mean_loss(model, val_blocks)
    plan = compute_plan(model, arch, spec)
    if args.gf_pretrain_steps > 0:
        if args.init != "globalfact":
            raise ValueError("--gf-pretrain-steps applies to --init globalfact")
        from codeeff.train.globalfact import pretrain

        record.results["globalfact_pretrain"] = pretrain(plan, model, arch, args.gf_pretrain_steps, args.gf_pretrain_lr)
    svd = FactorizeTransform.from_plan(model, arch, spec, plan)
    svd.apply(model)
    start_loss = common.mean_loss(model, val_blocks)  # the init alone (plain SVD / GlobaL Fact, no training)
    svd.restore()
    if args.init == "lora":
        lora_start(plan, args.seed)

    for p in model.parameters():
        p.requires_grad_(False)
    tensors = {name: t.clone() for name, t in plan.tensors.items()}
    modules = build_modules(plan.slots, tensors)
    alpha = Alpha(args, args.max_steps)
    stack = arch.layers(model)
    originals: dict[tuple[int, str], nn.Linear] = {}
    for (index, role), factors in modules.items():
        original = dense_linear(arch, stack[index], role, index)
        for p in factors.parameters():
            p.requires_grad_(True)
        residual = (original.weight - factors.weight).detach()
        parent, attr = arch.role_parent(stack[index], role)
        originals[(index, role)] = original
        setattr(parent, attr, AbacoLinear(residual, factors, alpha).train())

    class Decay(TrainerCallback):
        def on_step_begin(self, _args, state, control, **kwargs):
            alpha.value = alpha.at(state.global_step)

    model.train()
    record.results["trainable_params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    trainer = Trainer(
        model=model,
        # GlobaL Fact's G is one tensor shared by every layer's factors: the Trainer's safetensors checkpoints
        # refuse shared tensors, so a globalfact run has no checkpoints (and no --resume)
        args=common.training_arguments(args, **({"save_strategy": "no"} if args.init == "globalfact" else {})),
        train_dataset=corpus.BlockDataset(train_blocks),
        callbacks=[Decay()],
    )
    common.run_trainer(trainer, args, record)
    alpha.value = 0.0
    for (index, role), original in originals.items():
        parent, attr = arch.role_parent(stack[index], role)
        setattr(parent, attr, original)
    model.eval()

    # the factor modules' parameters share storage with ``tensors`` (linear_from does not copy): they hold the training
    trained = {name: t.detach().clone() for name, t in tensors.items()}
    errors = {}
    for role in spec.roles:
        slots = [s for s in plan.slots if s.role == role]
        weights = [dense_linear(arch, stack[s.layer], role, s.layer).weight for s in slots]
        approx = [trained[s.up].double() @ trained[s.down].double() for s in slots]
        errors[role] = linalg.approximation_errors(weights, approx)
    variant = FactorizeTransform(model, arch, spec, plan.slots, trained, errors, plan.ranks, source="abaco")
    variant.apply(model)
    final_loss = common.mean_loss(model, val_blocks)
    variant.restore()
    folder = save_factorized(variant, out / "factors", model)
    (out / "variant.yaml").write_text(
        f"name: ABACO {args.init} {args.decay}\nfactors: {folder.resolve()}\n"
        f"training: {(out / common.RECORD_FILE).resolve()}\n"  # the factors sit on the base model: cost named here
    )
    described = variant.describe()
    record.results.update(
        {
            "spec": spec.as_dict(),
            "ranks": plan.ranks,
            "compression_ratio": described["compression_ratio"],
            "targets_compression_ratio": described["targets_compression_ratio"],
            "val_loss_dense": dense_loss,
            "val_loss_init": start_loss,
            "val_loss_abaco": final_loss,
            "val_ppl_dense": math.exp(dense_loss),
            "val_ppl_init": math.exp(start_loss),
            "val_ppl_abaco": math.exp(final_loss),
            "init_is": "plain truncated SVD"
            if args.init == "svd"
            else f"{args.init} init (untrained)"
            + (f", GlobaL Fact pre-trained {args.gf_pretrain_steps} steps" if args.gf_pretrain_steps else ""),
            "outputs": {"factors": str(folder), "variant": str(out / "variant.yaml"), "base_model": args.model},
        }
    )
    record.results["table"] = (
        f"targets CR {described['targets_compression_ratio']:.3f} (model {described['compression_ratio']:.3f}); "
        f"held-out ppl: dense {math.exp(dense_loss):.3f}, {args.init} init {math.exp(start_loss):.3f}, "
        f"ABACO {math.exp(final_loss):.3f}"
    )
    record.write(out)
    return record.__dict__
