import json

import pytest
import torch
import yaml
from train_cli import DATA_ARGS, train

from codeeff.train.exit_env import CONTINUE, EXIT, ExitEnv, continue_reward, exit_reward
from codeeff.train.observations import Observations

POLICY_ARGS = ["--exits", "2,4", "--max-positions", "512", *DATA_ARGS]


@pytest.fixture(scope="module")
def policy_out(tiny6, tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("policy")
    base = ["exit-policy", "--model", str(tiny6), "--out", str(out), "--data-dir", str(data_dir), *POLICY_ARGS]
    classifier = train(*base, "--kind", "classifier", "--epochs", "15")
    rl = train(*base, "--kind", "rl", "--timesteps", "2048")
    return out, classifier, rl


@pytest.mark.slow
def test_classifier_trains_and_loads_in_codeeff_hf(policy_out):
    from codeeff.model_adapters.early_exit.policies import MLPPolicy

    out, classifier, _ = policy_out
    history = classifier["history"]
    assert history[-1]["loss"] < history[0]["loss"]
    policy = MLPPolicy("classifier", str(out / "exit_classifier.pt"), 0.5)
    assert policy.in_features == 64 and policy.out_features == 1
    assert "classifier:" in (out / "variant_classifier.yaml").read_text()


def test_observations_are_cached_once(policy_out):
    _, classifier, rl = policy_out
    assert classifier["data"]["observation_cache"]["reused"] is False
    assert rl["data"]["observation_cache"]["reused"] is True


def test_another_runs_observation_cache_is_never_overwritten(policy_out, tiny6, tmp_path, data_dir, capsys):
    """--obs-cache naming a file made with other settings is an error and leaves the file as it was."""
    from codeeff.train.cli import main

    out, _, _ = policy_out
    before = (out / "observations.pt").read_bytes()
    argv = ["exit-policy", "--model", str(tiny6), "--out", str(tmp_path / "other"), "--data-dir", str(data_dir),
            *POLICY_ARGS, "--kind", "vocab", "--max-positions", "256", "--obs-cache", str(out / "observations.pt")]  # fmt: skip
    assert main(argv) == 2
    assert "holds observations of another model, rows, exits or settings" in capsys.readouterr().err
    assert (out / "observations.pt").read_bytes() == before


def test_ppo_export_reads_raw_hidden_states_like_the_sb3_policy(policy_out):
    """The standardisation folded into the first layer: codeeff-hf on raw h == SB3's actor on (h − μ)/σ."""
    from stable_baselines3 import PPO

    from codeeff.model_adapters.early_exit.policies import MLPPolicy
    from codeeff.train.policy import standardiser

    out, _, rl = policy_out
    data = torch.load(out / "observations.pt", weights_only=True)
    hidden = data["hidden"].float()
    mean, std = standardiser(data["hidden"])
    state = torch.load(out / "ppo_policy.pt", weights_only=True)
    assert state["action_net.weight"].shape == (2, 64) and state["mlp_extractor.policy_net.2.weight"].shape == (64, 64)
    policy = MLPPolicy("policy", str(out / "ppo_policy.pt"), 0.5)
    raw = hidden[:32, 0]
    # rebuild the unfolded SB3 actor by undoing the fold
    weight = state["mlp_extractor.policy_net.0.weight"] * std
    bias = state["mlp_extractor.policy_net.0.bias"] + (state["mlp_extractor.policy_net.0.weight"] @ mean)
    z = ((raw - mean) / std) @ weight.T + bias
    z = torch.tanh(
        torch.tanh(z) @ state["mlp_extractor.policy_net.2.weight"].T + state["mlp_extractor.policy_net.2.bias"]
    )
    expected = torch.softmax(z @ state["action_net.weight"].T + state["action_net.bias"], -1)[:, EXIT]
    assert torch.allclose(policy.exit_probability(raw), expected, atol=1e-5)
    assert PPO  # stable-baselines3 trained it (history from its rollout buffer)
    assert len(rl["history"]) == 2


def test_oracle_is_an_upper_bound_and_thresholds_are_reported(policy_out):
    _, classifier, _ = policy_out
    oracle = classifier["results"]["oracle"]
    assert oracle["agreement"] == 1.0 and "upper bound" in oracle["label"]
    assert sum(oracle["exit_histogram"].values()) == oracle["positions"]
    rows = classifier["results"]["thresholds"]
    assert [r["threshold"] for r in rows] == [0.5, 0.6, 0.8, 0.9, 0.91, 0.92, 0.94]
    assert all(2 <= r["mean_layers"] <= 6 for r in rows)
    # no policy that always agrees can run fewer layers than the oracle
    assert all(r["mean_layers"] >= oracle["mean_layers"] for r in rows if r["agreement"] == 1.0)


def test_rewards_follow_eq_5_1_and_5_2():
    n = 4
    assert exit_reward(2, 2, True, n, 0.5, 0.5, 0.1) == 1.0
    assert exit_reward(3, 1, True, n, 0.5, 0.5, 0.1) == pytest.approx(-2 * 0.5 / 4)  # too late
    assert exit_reward(0, 3, False, n, 0.5, 1.0, 0.1) == pytest.approx(-3 / 4)  # too early
    assert exit_reward(3, 1, False, n, 0.5, 0.5, 0.1) == -0.1
    assert continue_reward(1, 2, n, 0.5) == 1.0
    assert continue_reward(2, 2, n, 0.5) == pytest.approx(-1 * 0.5 / 4)


def test_environment_episode():
    correct = torch.tensor([[False, True], [False, False]])
    top1 = torch.where(correct, torch.tensor(7), torch.tensor(3))
    obs = Observations(torch.randn(2, 2, 8).half(), top1, torch.tensor([7, 7]), [2, 4], 6)
    assert obs.optimal_index().tolist() == [1, 2]
    env = ExitEnv(obs, torch.zeros(8), torch.ones(8))
    env.reset(seed=0)
    env._token = 0
    _, reward, done, _, _ = env.step(CONTINUE)
    assert reward == 1.0 and not done
    _, reward, done, _, info = env.step(EXIT)
    assert reward == 1.0 and done and info["exit"] == 1


def test_vocab_policy_keeps_the_most_frequent_final_predictions(policy_out, tiny6, data_dir):
    """--kind vocab: the K tokens the final layer predicts most often on the training observations (reusing the
    cache), and a variant file codeeff-hf validates."""
    from transformers import AutoConfig

    from codeeff.model_adapters.early_exit.exit_vocab import load_exit_vocab
    from codeeff.model_adapters.spec import parse_variant, validate_against_config

    out, _, _ = policy_out
    base = ["exit-policy", "--model", str(tiny6), "--out", str(out), "--data-dir", str(data_dir), *POLICY_ARGS]
    result = train(*base, "--kind", "vocab", "--vocab-size", "16", "--threshold", "0.6")
    assert result["data"]["observation_cache"]["reused"] is True
    saved = json.loads((out / "exit_vocab.json").read_text())
    data = torch.load(out / "observations.pt", weights_only=True)
    counts = torch.bincount(data["final_top1"])
    assert saved["counts"] == [int(counts[t]) for t in saved["token_ids"]] == sorted(saved["counts"], reverse=True)
    assert len(saved["token_ids"]) == min(16, int((counts > 0).sum()))
    assert saved["coverage"] == round(sum(saved["counts"]) / len(data["final_top1"]), 4)
    assert min(saved["counts"]) >= max(int(counts[t]) for t in range(len(counts)) if t not in saved["token_ids"])
    assert len(load_exit_vocab(out / "exit_vocab.json", 384)) == len(saved["token_ids"])
    table = result["results"]["thresholds"]
    assert [row["threshold"] for row in table][:2] == [0.5, 0.6] and table[0]["mean_layers"] <= table[-1]["mean_layers"]
    variant = yaml.safe_load((out / "variant_vocab.yaml").read_text())
    assert variant["early_exit"] == "confidence:0.6"
    spec = parse_variant({k: v for k, v in variant.items() if k != "name"})
    validate_against_config(spec, AutoConfig.from_pretrained(tiny6))
