"""factorize: full rank equals dense, restore() is exact, SSE/RSSE and compression ratio against direct computations,
GlobaL Fact / MASS sharing, save/load round trip, bad arguments rejected from the config alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from transforms_helpers import assert_same_state, generate, logits, roles_of, state_snapshot

from codeeff.model_adapters import factorize
from codeeff.model_adapters.arch import spec_for_config, spec_for_model
from codeeff.model_adapters.factorize import FactorizeSpec, factorize_model, linalg, load_factorized, save_factorized
from codeeff.model_adapters.factorize.modules import FactorizedLinear
from codeeff.model_adapters.spec import VariantSpecError
from codeeff.model_adapters.tiny import build_config, build_tiny_model


def _full_rank(arch, model, method: str) -> dict[str, int]:
    """svd: min(m, n); GlobaL Fact: n (the shared G must span the whole input space to be exact)."""
    shapes = arch.role_shapes(model.config)
    return {r: shapes[r][0] if method == "globalfact" else min(shapes[r]) for r in roles_of(arch.family)}


@pytest.mark.parametrize("method", ["svd", "globalfact"])
def test_full_rank_equals_dense(model_arch, batch, method):
    model, arch = model_arch
    base = logits(model, batch)
    spec = FactorizeSpec(method, roles_of(model_arch[1].family), rank=_full_rank(arch, model, method))
    transform = factorize_model(model, arch, spec)
    transform.apply(model)
    try:
        assert isinstance(arch.role_modules(arch.layers(model)[0])["q"], FactorizedLinear)
        torch.testing.assert_close(logits(model, batch), base, rtol=1e-4, atol=1e-4)
        assert transform.describe()["rsse_avg"] < 1e-10
    finally:
        transform.restore()


def _transforms(family: str, model, arch):
    mlp = "fc1" if family == "opt" else "up"
    return {
        "svd": FactorizeSpec("svd", ("q", mlp), ratio=0.5),
        "globalfact": FactorizeSpec("globalfact", ("k", "v"), rank=4, init=1),
        "mass": FactorizeSpec("mass", ("o", mlp), layers=(1, 2, 3)),
    }


@pytest.mark.parametrize("method", ["svd", "globalfact", "mass"])
def test_generates_and_restores_exactly(model_arch, batch, method):
    model, arch = model_arch
    snapshot, base, base_gen = state_snapshot(model), logits(model, batch), generate(model, batch)
    transform = factorize_model(model, arch, _transforms(arch.family, model, arch)[method])
    transform.apply(model)
    try:
        out = generate(model, batch)
        assert out.shape == base_gen.shape
        assert torch.equal(out, generate(model, batch, use_cache=False))
        assert not torch.equal(logits(model, batch), base)
    finally:
        transform.restore()
    assert_same_state(model, snapshot)
    assert torch.equal(logits(model, batch), base)


def test_errors_and_compression_ratio_match_a_direct_computation(tokenizer):
    model = build_tiny_model("llama", vocab_size=len(tokenizer))
    arch = spec_for_model(model)
    originals = {
        (i, r): arch.role_modules(layer)[r].weight.detach().clone()
        for i, layer in enumerate(arch.layers(model))
        for r in ("gate", "o")
    }
    params_before = sum(p.numel() for p in model.parameters())
    transform = factorize_model(model, arch, FactorizeSpec("svd", ("gate", "o"), rank=5))
    transform.apply(model)
    try:
        sse, rsse = [], []
        for (i, role), w in originals.items():
            approx = arch.role_modules(arch.layers(model)[i])[role].weight.detach()
            err = float(np.sum((w.double().numpy() - approx.double().numpy()) ** 2))
            sse.append(err)
            rsse.append(err / float(np.sum(w.double().numpy() ** 2)))
            # Eckart–Young: the rank-5 error is the sum of the discarded squared singular values
            s = np.linalg.svd(w.double().numpy(), compute_uv=False)
            assert err == pytest.approx(float(np.sum(s[5:] ** 2)), rel=1e-5)
        params_after = sum(p.numel() for p in model.parameters())
        described = transform.describe()
    finally:
        transform.restore()
    assert described["sse_avg"] == pytest.approx(np.mean(sse), rel=1e-5)
    assert described["rsse_avg"] == pytest.approx(np.mean(rsse), rel=1e-5)
    assert described["params_after"] == params_after
    assert described["compression_ratio"] == pytest.approx(params_after / params_before)
    assert described["ranks"] == {"gate": 5, "o": 5}


def test_globalfact_init_methods_and_local_factors():
    torch.manual_seed(0)
    weights = [torch.randn(12, 8, dtype=torch.float64) for _ in range(3)]
    g1 = linalg.global_factor(weights, 3, method=1)
    _, _, vh = np.linalg.svd(sum(w.numpy() for w in weights))
    np.testing.assert_allclose(np.abs(g1.numpy()), np.abs(vh[:3]), atol=1e-10)  # eq. 6.5 (up to sign)
    g2 = linalg.global_factor(weights, 3, method=2)
    bases = [np.linalg.svd(w.numpy())[2][:3] for w in weights]
    aligned = [b * np.sign(np.sum(b * bases[0], axis=1, keepdims=True)) for b in bases]
    mean_v = np.mean(aligned, axis=0)  # eq. 6.6 (averaged, signs aligned to the first matrix)
    np.testing.assert_allclose(np.abs(g2.numpy()), np.abs(mean_v), atol=1e-10)  # overall sign per row is free
    # equal matrices give their own basis back (unaligned averaging could cancel vectors out)
    same = linalg.global_factor([weights[0], weights[0].clone()], 3, method=2)
    np.testing.assert_allclose(np.abs(same.numpy()), np.abs(bases[0]), atol=1e-10)
    for g in (g1, g2):
        for w in weights:
            local = linalg.local_factor(w, g)  # eq. 6.7: W·pinv(G) = least-squares fit W ≈ L·G
            expected = w.numpy() @ np.linalg.pinv(g.numpy())
            np.testing.assert_allclose(local.numpy(), expected, atol=1e-10)


def test_shared_tensors_count_once_and_run_per_use(tokenizer):
    model = build_tiny_model("opt", vocab_size=len(tokenizer))
    arch = spec_for_model(model)
    fc1 = [arch.role_modules(layer)["fc1"] for layer in arch.layers(model)]
    before = sum(p.numel() for p in model.parameters())
    transform = factorize_model(model, arch, FactorizeSpec("mass", ("fc1",)))
    transform.apply(model)
    try:
        shared = [arch.role_modules(layer)["fc1"] for layer in arch.layers(model)]
        assert all(m is shared[0] for m in shared)
        torch.testing.assert_close(shared[0].weight, sum(m.weight for m in fc1) / 4)  # eq. 6.1
        torch.testing.assert_close(shared[0].bias, sum(m.bias for m in fc1) / 4)  # eq. 6.2
        per_matrix = fc1[0].weight.numel() + fc1[0].bias.numel()
        assert sum(p.numel() for p in model.parameters()) == before - 3 * per_matrix
    finally:
        transform.restore()
    gf = factorize_model(model, arch, FactorizeSpec("globalfact", ("q",), rank=4))
    gf.apply(model)
    try:
        downs = [arch.role_modules(layer)["q"].down for layer in arch.layers(model)]
        assert all(d is downs[0] for d in downs)
    finally:
        gf.restore()


def test_activation_aware_svd(tokenizer, batch):
    model = build_tiny_model("llama", vocab_size=len(tokenizer))
    arch = spec_for_model(model)
    spec = FactorizeSpec("svd", ("down",), rank=8, act_aware=True)
    scales = factorize.input_scales(model, arch, spec, [(batch["input_ids"], batch["attention_mask"])], 0.5)
    assert set(scales) == {(i, "down") for i in range(4)} and all(bool((s > 0).all()) for s in scales.values())
    w = arch.role_modules(arch.layers(model)[0])["down"].weight
    up, down = linalg.truncated_svd(w, 8, scales[(0, "down")])
    plain_up, plain_down = linalg.truncated_svd(w, 8)
    assert not torch.allclose(up @ down, plain_up @ plain_down)
    # a constant scale changes nothing; full rank reconstructs exactly with any scale
    const_up, const_down = linalg.truncated_svd(w, 8, torch.full((w.shape[1],), 3.0))
    torch.testing.assert_close(const_up @ const_down, plain_up @ plain_down, rtol=1e-4, atol=1e-5)
    full_up, full_down = linalg.truncated_svd(w, 64, scales[(0, "down")])
    torch.testing.assert_close(full_up @ full_down, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("method", ["svd", "globalfact", "mass"])
def test_save_load_round_trip(tokenizer, batch, tmp_path, method):
    model = build_tiny_model("qwen2", vocab_size=len(tokenizer))  # qwen2: q/k/v carry biases
    arch = spec_for_model(model)
    transform = factorize_model(model, arch, _transforms("qwen2", model, arch)[method])
    transform.apply(model)
    expected = logits(model, batch)
    transform.restore()
    folder = save_factorized(transform, tmp_path / "variant", model)
    with safe_open(str(folder / "factors.safetensors"), "pt") as fh:
        names = list(fh.keys())
    shared = [n for n in names if not n.startswith("layers.")]
    assert len(shared) == len(set(shared)) and (method == "svd") == (not shared)
    loaded = load_factorized(folder, model, arch)
    options = {"factorize": method, "factors": str(folder)}
    via_build = factorize.build(options, model, arch, context=None)
    for candidate in (loaded, via_build):
        candidate.apply(model)
        assert torch.equal(logits(model, batch), expected)
        candidate.restore()
    assert loaded.describe()["sse_avg"] == transform.describe()["sse_avg"]
    assert json.loads((folder / "variant.json").read_text())["spec"]["method"] == method


def test_bad_arguments_fail_from_the_config_alone(tmp_path):
    config = build_config("llama")  # no weights are built here
    arch = spec_for_config(config)
    cases = [
        ({"factorize": "svd", "factorize_targets": ["q"], "rank": 65}, "rank 65 .* out of range"),
        ({"factorize": "svd", "factorize_targets": ["qq"], "rank": 4}, "no module role 'qq'"),
        ({"factorize": "svd", "factorize_targets": ["fc1"], "rank": 4}, "no module role 'fc1'"),
        ({"factorize": "svd", "factorize_targets": ["q"], "rank": 4, "factorize_layers": [2, 7]}, "out of range"),
        ({"factorize": "svd", "factorize_targets": ["q"]}, "exactly one of rank= or ratio="),
        ({"factorize": "svd", "factorize_targets": ["q"], "param_ratio": 1.5}, r"param_ratio must be in \(0, 1\]"),
        ({"factorize": "mass", "factorize_targets": ["q"], "rank": 4}, "no rank or ratio"),
        ({"factorize": "globalfact", "factorize_targets": ["q"], "rank": 4, "global_init": 3}, "init must be 1 or 2"),
        ({"factorize": "svd", "factorize_targets": ["q"], "rank": 4, "act_aware": True}, "calib"),
        ({"factorize": "svd", "rank": 4}, "factorize_targets"),
        ({"factorize": "svd", "factors": str(tmp_path)}, "not a saved factorized variant"),
    ]
    for options, message in cases:
        with pytest.raises(VariantSpecError, match=message):
            factorize.validate(options, config, arch)
    opt = build_config("opt")
    factorize.validate(
        {"factorize": "svd", "factorize_targets": ["up", "out_proj"], "rank": 4}, opt, spec_for_config(opt)
    )


def test_cost_model_sees_what_runs(tokenizer):
    """Factor FLOPs per use, a shared MASS matrix at full FLOPs per layer, a bypassed attention at zero."""
    from codeeff.model_adapters.bypass.runtime import BypassSet
    from codeeff.model_adapters.measure.flops import CostModel, module_flops_per_token

    model = build_tiny_model("llama", vocab_size=len(tokenizer))  # d=64, ffn=128, 4 heads, 2 kv heads
    arch = spec_for_model(model)
    dense = CostModel(model, arch)
    gf = factorize_model(model, arch, FactorizeSpec("globalfact", ("gate",), rank=8))
    mass = factorize_model(model, arch, FactorizeSpec("mass", ("down",)))
    gf.apply(model)
    mass.apply(model)
    try:
        with BypassSet(model, arch, [1]):
            cost = CostModel(model, arch)
            attn_linear = module_flops_per_token(arch.attention(arch.layers(model)[0]))
    finally:
        mass.restore()
        gf.restore()
    gate_dense, gate_factored = 2 * 64 * 128, 2 * (8 * 64 + 128 * 8)  # G (8×64) shared, but run in every layer
    for i, (before, after) in enumerate(zip(dense.layers, cost.layers, strict=True)):
        expected = before.linear - gate_dense + gate_factored - (attn_linear if i == 1 else 0)
        assert after.linear == expected, i
        assert after.heads == (0 if i == 1 else before.heads)


def test_factorize_cli_saves_a_loadable_variant(tmp_path, capsys, tokenizer, batch):
    from transformers import AutoModelForCausalLM

    from codeeff.model_adapters.factorize.cli import main
    from codeeff.model_adapters.tiny import save_tiny_model

    model_dir = save_tiny_model(tmp_path / "model", "mistral")
    calib = tmp_path / "calib.jsonl"
    calib.write_text(json.dumps({"text": "def add(a, b):\n    return a + b\n"}) + "\n")
    out = tmp_path / "variant"
    args = ["--model", str(model_dir), "--method", "svd", "--targets", "down", "--layers", "1-3", "--rank", "6"]
    assert main([*args, "--act-aware", "--calib", str(calib), "--out", str(out), "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["layers"] == [1, 2, 3] and described["spec"]["act_aware"] is True
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    transform = load_factorized(out, model, spec_for_model(model))
    assert transform.describe()["rsse_avg"] == pytest.approx(described["rsse_avg"])
    # a rank above the matrix size is refused from the config, before any weights load
    bad = [
        "--model",
        str(model_dir),
        "--method",
        "svd",
        "--targets",
        "down",
        "--rank",
        "65",
        "--out",
        str(tmp_path / "x"),
    ]
    assert main(bad) == 2
    assert "rank 65" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_per_role_ranks_from_a_model_args_string(tokenizer):
    """``rank=q:4,gate:8`` survives lm-eval's comma split and gives each role its own rank; a role without one is an
    error from the config alone."""
    from lm_eval.utils import simple_parse_args_string

    from codeeff.model_adapters.spec import parse_variant, rejoin_comma_split

    raw = rejoin_comma_split(
        simple_parse_args_string("pretrained=x,factorize=svd,factorize_targets=q,gate,rank=q:4,gate:8")
    )
    raw.pop("pretrained")
    options = parse_variant(raw).options("factorize")
    assert options["rank"] == {"q": 4, "gate": 8}
    model = build_tiny_model("llama", vocab_size=len(tokenizer))
    arch = spec_for_model(model)
    factorize.validate(options, model.config, arch)
    transform = factorize.build(options, model, arch, context=None)
    assert transform.describe()["ranks"] == {"q": 4, "gate": 8}
    with pytest.raises(VariantSpecError, match="no entry for role 'gate'"):
        factorize.validate({**options, "rank": {"q": 4}}, build_config("llama"), arch)
