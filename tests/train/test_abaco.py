import argparse

import pytest
import torch
from train_cli import DATA_ARGS, train

from codeeff.train.abaco import Alpha


@pytest.fixture(scope="module")
def abaco_run(tiny6, tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("abaco") / "svd"
    argv = ["abaco", "--model", str(tiny6), "--out", str(out), "--param-ratio", "0.5", "--max-steps", "10"]
    return out, train(*argv, "--lr", "0.003", "--data-dir", str(data_dir), *DATA_ARGS)


def test_abaco_lowers_held_out_loss_below_its_svd_start(abaco_run):
    _, result = abaco_run
    results = result["results"]
    assert results["init_is"] == "plain truncated SVD"
    assert results["val_loss_abaco"] < results["val_loss_init"]
    assert results["targets_compression_ratio"] == pytest.approx(0.5, abs=0.03)


def test_saved_factors_load_back_and_reproduce_the_recorded_loss(abaco_run, tiny6, data_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codeeff.model_adapters.arch import spec_for_model
    from codeeff.model_adapters.factorize import load_factorized
    from codeeff.train.common import mean_loss
    from codeeff.train.corpus import load_corpus, token_blocks

    out, result = abaco_run
    model = AutoModelForCausalLM.from_pretrained(tiny6).eval()
    transform = load_factorized(out / "factors", model, spec_for_model(model))
    transform.apply(model)
    corpus = load_corpus("python", 12, 4, str(data_dir))
    blocks = token_blocks(AutoTokenizer.from_pretrained(tiny6), corpus.val, 48, 32)
    assert mean_loss(model, blocks) == pytest.approx(result["results"]["val_loss_abaco"], rel=1e-5)
    assert "factors:" in (out / "variant.yaml").read_text()


def test_alpha_schedules():
    args = argparse.Namespace(alpha0=1.0, decay="linear", tail=0.2, exp_base=2.0, exp_halvings=4.0)
    alpha = Alpha(args, 10)
    assert [round(alpha.at(t), 3) for t in (0, 4, 8, 9)] == [1.0, 0.5, 0.0, 0.0]
    args.decay = "exp"
    assert alpha.at(4) == pytest.approx(2.0 ** (-2)) and alpha.at(8) == 0.0


def test_at_alpha_one_the_wrapped_layer_is_the_original(tiny6):
    from transformers import AutoModelForCausalLM

    from codeeff.model_adapters.arch import spec_for_model
    from codeeff.model_adapters.factorize.plan import build_modules, compute_plan
    from codeeff.model_adapters.factorize.spec import FactorizeSpec
    from codeeff.train.abaco import AbacoLinear

    model = AutoModelForCausalLM.from_pretrained(tiny6)
    arch = spec_for_model(model)
    spec = FactorizeSpec("svd", ("gate",), (0,), rank=4).validate(arch, model.config)
    plan = compute_plan(model, arch, spec)
    factors = build_modules(plan.slots, plan.tensors)[(0, "gate")]
    original = model.model.layers[0].mlp.gate_proj
    alpha = Alpha(argparse.Namespace(alpha0=1.0, decay="linear", tail=0.0), 10)
    layer = AbacoLinear((original.weight - factors.weight).detach(), factors, alpha)
    x = torch.randn(3, original.in_features)
    assert torch.allclose(layer(x), original(x), atol=1e-5)
    alpha.value = 0.0
    assert torch.allclose(layer(x), factors(x))
