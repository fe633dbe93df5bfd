"""GlobaL Fact initialisation pre-training on a tiny random model: the shared G and local L_j move toward W_j."""

import pytest
import torch
from train_cli import DATA_ARGS, train


def _plan(tiny6, rank=8):
    from transformers import AutoModelForCausalLM

    from codeeff.model_adapters.arch import spec_for_model
    from codeeff.model_adapters.factorize.plan import compute_plan
    from codeeff.model_adapters.factorize.spec import FactorizeSpec

    model = AutoModelForCausalLM.from_pretrained(tiny6)
    arch = spec_for_model(model)
    spec = FactorizeSpec("globalfact", ("gate", "up"), None, rank, None, init=2).validate(arch, model.config)
    return model, arch, compute_plan(model, arch, spec)


def test_pretraining_lowers_the_approximation_error_and_keeps_g_shared(tiny6):
    from codeeff.train.globalfact import pretrain

    model, arch, plan = _plan(tiny6)
    g_before = plan.tensors["global.gate.down"].clone()
    rsse_before = plan.errors["gate"]
    report = pretrain(plan, model, arch, steps=60, lr=1e-2)
    for role in ("gate", "up"):
        assert report[role]["relative_error_after"] < report[role]["relative_error_before"]
    assert not torch.equal(plan.tensors["global.gate.down"], g_before)
    assert plan.errors["gate"] != rsse_before
    assert all(s.down == "global.gate.down" for s in plan.slots if s.role == "gate")  # still one shared G


def test_pretraining_needs_a_globalfact_plan_and_steps(tiny6):
    from codeeff.train.globalfact import pretrain

    model, arch, plan = _plan(tiny6)
    with pytest.raises(ValueError, match="steps > 0"):
        pretrain(plan, model, arch, steps=0, lr=1e-3)
    plan.tensors = {k: v for k, v in plan.tensors.items() if not k.startswith("global.")}
    with pytest.raises(ValueError, match="no GlobaL Fact group"):
        pretrain(plan, model, arch, steps=1, lr=1e-3)


def test_abaco_with_pretrained_globalfact_start(tiny6, tmp_path, data_dir):
    argv = ["abaco", "--model", str(tiny6), "--out", str(tmp_path / "gf"), "--init", "globalfact", "--rank", "8"]
    argv += ["--targets", "gate,up", "--gf-pretrain-steps", "40", "--gf-pretrain-lr", "1e-2", "--max-steps", "2"]
    result = train(*argv, "--data-dir", str(data_dir), *DATA_ARGS)
    pre = result["results"]["globalfact_pretrain"]["gate"]
    assert pre["relative_error_after"] < pre["relative_error_before"]
    assert "pre-trained 40 steps" in result["results"]["init_is"]
