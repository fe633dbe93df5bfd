"""``codeeff train exit-policy --kind classifier|rl|vocab``: exit policies from cached per-exit observations.

- ``classifier``: a small MLP (``--hidden 0``: one Linear) on the hidden state, label = the exit's top-1 equals the
  final one; BCE; saved as ``codeeff.exit_mlp/1`` (``early_exit=classifier:OUT/exit_classifier.pt:T``).
- ``rl``: PPO (stable-baselines3) on :class:`~codeeff.train.exit_env.ExitEnv` with the seed's 2×64 tanh actor;
  saved as the SB3 policy ``state_dict`` (``early_exit=policy:OUT/ppo_policy.pt:T``).
- ``vocab``: the ``--vocab-size`` K tokens the final layer predicts most often on the training observations, saved
  as an exit vocabulary (``early_exit=confidence:T`` with ``confidence_vocab: OUT/exit_vocab.json``): the exit's
  softmax confidence over those K tokens, a check of ``2·d·K`` FLOPs instead of a full head projection.
Both standardise the hidden state by the training observations' mean/std and fold that into the first Linear layer,
so the saved file reads raw hidden states like ``codeeff-hf`` passes them. ``oracle.json``: the exit at ℓ_opt (it
needs the final layer's prediction, so it is an **upper bound**, not a runnable policy). ``thresholds``: for every
T, agreement with the final top-1 and mean layers on held-out (validation) observations — an offline estimate,
teacher-forced; generation figures come from ``codeeff run``.
The seed: Briem, "Towards Resource Efficient Code Generation through Dynamic Early Exits in LLMs" (TU Wien, 2025), §5.3
(its PPO actor, Listing 4).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch
from torch import nn

from codeeff.train import common, corpus
from codeeff.train import observations as observe
from codeeff.train.schedule import parse_exits

SEED_THRESHOLDS = (0.5, 0.6, 0.8, 0.9, 0.91, 0.92, 0.94)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_common_arguments(parser)
    parser.add_argument("--kind", choices=["classifier", "rl", "vocab"], required=True)
    parser.add_argument("--vocab-size", type=int, default=512, help="vocab: tokens in the exit vocabulary (K)")
    parser.add_argument("--exits", default="seed", help="exit depths: 'seed' or a list")
    parser.add_argument("--max-positions", type=int, default=8192, help="positions sampled for observations")
    parser.add_argument("--obs-cache", help="observation cache file (default OUT/observations.pt)")
    parser.add_argument("--hidden", type=int, default=64, help="classifier hidden units (0 = a single Linear)")
    parser.add_argument("--timesteps", type=int, default=20000, help="rl: PPO environment steps")
    parser.add_argument("--coeff", default="0.5,0.5,0.5,0.1", help="rl: reward α,β,γ,ε (seed PY150: 0.5,0.5,0.5)")
    parser.add_argument("--threshold", type=float, default=0.9, help="T written to the variant file")
    parser.add_argument("--exit-adapters", help="per-exit adapters file (codeeff train exits --mode adapters)")
    parser.set_defaults(lr=1e-3, epochs=20.0, seq_len=128)


def standardiser(hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    flat = hidden.float().reshape(-1, hidden.shape[-1])
    return flat.mean(0), flat.std(0).clamp_min(1e-4)


@torch.no_grad()
def fold_standardisation(linear_weight: torch.Tensor, bias: torch.Tensor, mean: torch.Tensor, std: torch.Tensor):
    """W·((x − μ)/σ) + b = (W/σ)·x + (b − (W/σ)·μ)."""
    weight = linear_weight / std
    return weight, bias - weight @ mean


def train_classifier(obs: observe.Observations, args: argparse.Namespace, mean, std) -> tuple[nn.Sequential, list]:
    x = ((obs.hidden.float() - mean) / std).reshape(-1, obs.hidden.shape[-1])
    y = obs.correct.reshape(-1).float()
    dim = x.shape[1]
    layers: list[nn.Module] = [nn.Linear(dim, 1)] if args.hidden == 0 else [
        nn.Linear(dim, args.hidden), nn.Tanh(), nn.Linear(args.hidden, 1)
    ]  # fmt: skip
    net = nn.Sequential(*layers)
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(args.seed)
    history = []
    batch = 256
    for epoch in range(int(args.epochs)):
        order = torch.randperm(len(y), generator=generator)
        total = 0.0
        for start in range(0, len(y), batch):
            index = order[start : start + batch]
            loss = nn.functional.binary_cross_entropy_with_logits(net(x[index])[:, 0], y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
        history.append({"epoch": epoch + 1, "loss": round(total / len(y), 5)})
    with torch.no_grad():
        first = net[0]
        weight, bias = fold_standardisation(first.weight, first.bias, mean, std)
        first.weight.copy_(weight)
        first.bias.copy_(bias)
    return net.eval(), history


def train_ppo(obs: observe.Observations, args: argparse.Namespace, mean, std, out: Path) -> tuple[Path, list]:
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    from codeeff.train.exit_env import ExitEnv

    alpha, beta, gamma, epsilon = (float(v) for v in args.coeff.split(","))
    env = ExitEnv(obs, mean, std, alpha, beta, gamma, epsilon, seed=args.seed)
    history: list[dict[str, Any]] = []

    class Log(BaseCallback):
        def _on_rollout_end(self) -> None:
            rewards = self.model.rollout_buffer.rewards
            history.append({"timesteps": self.num_timesteps, "mean_step_reward": round(float(rewards.mean()), 5)})

        def _on_step(self) -> bool:
            return True

    ppo = PPO(
        "MlpPolicy",
        env,
        learning_rate=3e-4,
        n_steps=1024,
        batch_size=64,
        seed=args.seed,
        device="cpu",
        verbose=0,
        policy_kwargs={"net_arch": {"pi": [64, 64], "vf": [64, 64]}, "activation_fn": nn.Tanh},
    )
    ppo.learn(total_timesteps=args.timesteps, callback=Log(), progress_bar=False)
    state = {k: v.detach().cpu().clone() for k, v in ppo.policy.state_dict().items()}
    weight, bias = fold_standardisation(
        state["mlp_extractor.policy_net.0.weight"], state["mlp_extractor.policy_net.0.bias"], mean, std
    )
    state["mlp_extractor.policy_net.0.weight"], state["mlp_extractor.policy_net.0.bias"] = weight, bias
    path = out / "ppo_policy.pt"
    torch.save(state, path)
    return path, history


@torch.no_grad()
def threshold_table(probabilities: torch.Tensor, obs: observe.Observations, thresholds) -> list[dict[str, Any]]:
    """Per T: exit at the first exit point with P(exit) > T; agreement with the final top-1, mean layers run."""
    depths = torch.tensor([*obs.depths, obs.num_layers], dtype=torch.float)
    fires = torch.cat([probabilities > 0, torch.ones(len(obs), 1, dtype=torch.bool)], 1)
    correct = torch.cat([obs.correct, torch.ones(len(obs), 1, dtype=torch.bool)], 1)
    rows = []
    for t in thresholds:
        fires[:, :-1] = probabilities > t
        chosen = fires.float().argmax(1)
        rows.append(
            {
                "threshold": t,
                "agreement": round(float(correct.gather(1, chosen[:, None]).float().mean()), 4),
                "mean_layers": round(float(depths[chosen].mean()), 3),
                "layers_ratio": round(float(depths[chosen].mean() / obs.num_layers), 4),
            }
        )
    return rows


def oracle(obs: observe.Observations) -> dict[str, Any]:
    depths = torch.tensor([*obs.depths, obs.num_layers], dtype=torch.float)
    chosen = obs.optimal_index()
    histogram = torch.bincount(chosen, minlength=len(depths)).tolist()
    return {
        "policy": "oracle",
        "label": "oracle exit at ℓ_opt (upper bound: needs the final layer's prediction; not runnable)",
        "agreement": 1.0,
        "mean_layers": round(float(depths[chosen].mean()), 3),
        "layers_ratio": round(float(depths[chosen].mean() / obs.num_layers), 4),
        "exit_histogram": {str(int(d)): n for d, n in zip(depths.tolist(), histogram, strict=True)},
        "positions": len(obs),
    }


def policy_probabilities(kind: str, path: Path, obs: observe.Observations) -> torch.Tensor:
    """P(exit) of the saved file at every (position, exit), read back through codeeff-hf's own loader."""
    from codeeff.model_adapters.early_exit.policies import MLPPolicy

    policy = MLPPolicy(kind, str(path), 0.5)
    flat = obs.hidden.float().reshape(-1, obs.hidden.shape[-1])
    return policy.exit_probability(flat).reshape(len(obs), len(obs.depths))


def gather(
    args: argparse.Namespace, out: Path, model_record: dict
) -> tuple[observe.Observations, observe.Observations, nn.Module]:
    """Training and validation observations (the training ones from the cache when it matches) and the model."""
    from codeeff.model_adapters.arch import spec_for_model

    depths = parse_exits(args.exits, common.model_layers(args.model))
    model, tokenizer = common.load_model(args.model, args.dtype)
    arch = spec_for_model(model)
    data = corpus.load_for(args)
    model_record.update(data.record)
    settings = {"seq_len": args.seq_len, "max_blocks": args.max_blocks, "max_positions": args.max_positions}
    adapters = None
    if args.exit_adapters:
        from codeeff.model_adapters.early_exit.adapters import load, sha256_file

        adapters = load(args.exit_adapters, int(model.config.hidden_size))
        missing = [d for d in depths if not adapters.has(d)]
        if missing:
            raise ValueError(f"--exit-adapters: no adapter for exit depth(s) {missing} (it has {adapters.depths})")
        settings["exit_adapters_sha256"] = sha256_file(args.exit_adapters)
    key = observe.cache_key(args.model, depths, data.record, {**settings, "seed": args.seed})
    cache = Path(args.obs_cache) if args.obs_cache else out / "observations.pt"
    cached = observe.load(cache, key)
    if cached is None and args.obs_cache and cache.exists():  # another run's file: never overwritten
        raise ValueError(
            f"--obs-cache {cache} holds observations of another model, rows, exits or settings; it is left as it "
            "is (name a new file, or leave --obs-cache out to use OUT/observations.pt)"
        )
    if cached is not None:
        train = cached
    else:
        # enough blocks for 2× the sampled positions (all positions of every block would not fit in memory)
        cap = args.max_blocks or -(-2 * args.max_positions // args.seq_len)
        blocks = corpus.token_blocks(tokenizer, data.train, args.seq_len, cap)
        train = observe.collect(
            model, arch, blocks, depths, args.max_positions, args.seed, not args.no_progress, adapters
        )
        observe.save(cache, train, key)
    val_blocks = corpus.token_blocks(tokenizer, data.val, args.seq_len, 8) if data.val else None
    val = (
        observe.collect(model, arch, val_blocks, depths, args.max_positions, args.seed, False, adapters)
        if val_blocks is not None
        else train
    )
    model_record["observation_cache"] = {"path": str(cache), "key": key, "reused": cached is not None}
    if adapters is not None:
        model_record["exit_adapters"] = {"path": str(args.exit_adapters), "sha256": settings["exit_adapters_sha256"]}
    return train, val, model


def exit_vocabulary(obs: observe.Observations, size: int) -> tuple[list[int], list[int]]:
    """The ``size`` tokens the final layer predicts most often in ``obs`` (ties: lower id first) and their counts;
    fewer when fewer distinct tokens occur."""
    counts = torch.bincount(obs.final_top1)
    present = counts.nonzero().flatten()
    order = sorted(present.tolist(), key=lambda t: (-int(counts[t]), t))[:size]
    return order, [int(counts[t]) for t in order]


@torch.no_grad()
def vocab_confidences(model: nn.Module, obs: observe.Observations, token_ids: list[int]) -> torch.Tensor:
    """[N, E] softmax top-1 over ``token_ids`` of each observed exit state, through codeeff-hf's own policy."""
    from codeeff.model_adapters.arch import spec_for_model
    from codeeff.model_adapters.early_exit.policies import ConfidencePolicy

    arch = spec_for_model(model)
    policy = ConfidencePolicy(0.5, "top1", torch.tensor(token_ids))
    flat = obs.hidden.reshape(-1, obs.hidden.shape[-1])
    scores = [
        policy.score(arch.head_logits(model, flat[s : s + 4096].float(), token_ids=policy.vocab))
        for s in range(0, flat.shape[0], 4096)
    ]
    return torch.cat(scores).reshape(len(obs), len(obs.depths))


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.vocab_size < 1:
        raise ValueError(f"--vocab-size must be ≥ 1, got {args.vocab_size}")
    common.seed_everything(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    record = common.Record(f"exit-policy/{args.kind}", vars(args))
    import time

    start = time.monotonic()
    train, val, model = gather(args, out, record.data)
    collected = time.monotonic()
    mean, std = standardiser(train.hidden)
    if args.kind == "classifier":
        from codeeff.model_adapters.early_exit.policies import save_exit_mlp

        net, record.history = train_classifier(train, args, mean, std)
        path = save_exit_mlp(out / "exit_classifier.pt", net, "tanh")
        spec_value = f"classifier:{path.resolve()}:{args.threshold}"
    elif args.kind == "rl":
        path, record.history = train_ppo(train, args, mean, std, out)
        spec_value = f"policy:{path.resolve()}:{args.threshold}"
    else:
        from codeeff.model_adapters.early_exit.exit_vocab import save_exit_vocab

        token_ids, counts = exit_vocabulary(train, args.vocab_size)
        coverage = round(sum(counts) / len(train), 4)
        path = save_exit_vocab(out / "exit_vocab.json", token_ids, counts=counts, positions=len(train),
                               coverage=coverage, rows=record.data.get("train_rows"))  # fmt: skip
        spec_value = f"confidence:{args.threshold}\nconfidence_vocab: {path.resolve()}"
        record.history = [{"tokens": len(token_ids), "coverage_of_final_top1": coverage}]
    trained = time.monotonic()
    if args.kind == "vocab":
        probabilities = vocab_confidences(model, val, token_ids)
    else:
        probabilities = policy_probabilities(args.kind, path, val)
    record.results = {
        "exit_depths": train.depths,
        "positive_rate": round(float(train.correct.float().mean()), 4),
        "thresholds": threshold_table(probabilities, val, SEED_THRESHOLDS),
        "oracle": oracle(val),
        "outputs": {"policy": str(path), "variant": str(out / f"variant_{args.kind}.yaml")},
    }
    (out / "oracle.json").write_text(__import__("json").dumps(record.results["oracle"], indent=2) + "\n")
    records = [(out / common.RECORD_FILE).resolve()]  # the variant's training cost: this record (+ the adapters')
    adapter_lines = ""
    if args.exit_adapters:
        adapter_lines = (
            f"exit_adapters: {Path(args.exit_adapters).resolve()}\n"
            f"exit_adapters_sha256: {record.data['exit_adapters']['sha256']}\n"
        )
        beside = Path(args.exit_adapters).resolve().parent / common.RECORD_FILE
        records += [beside] if beside.is_file() else []
    adapter_lines += f"training: {';'.join(map(str, records))}\n"
    (out / f"variant_{args.kind}.yaml").write_text(
        f"name: {args.kind} exit policy\nearly_exit: {spec_value}\n"
        f"exit_layers: [{', '.join(map(str, train.depths))}]\nkv_mode: copy\n{adapter_lines}"
    )
    record.cost = {
        "wall_s": round(trained - start, 2),
        "observation_s": round(collected - start, 2),
        "policy_training_s": round(trained - collected, 2),
        "positions": len(train),
        "tokens_seen": args.timesteps if args.kind == "rl" else len(train),
    }
    record.results["table"] = "\n".join(
        ["T      agreement  mean_layers"]
        + [f"{r['threshold']:<6} {r['agreement']:9.3f}  {r['mean_layers']:11.2f}" for r in record.results["thresholds"]]
        + [f"oracle {1.0:9.3f}  {record.results['oracle']['mean_layers']:11.2f}  (upper bound)"]
    )
    record.write(out)
    return record.__dict__
