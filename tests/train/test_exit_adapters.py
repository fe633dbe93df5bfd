"""``codeeff train exits --mode adapters``: frozen backbone, per-exit adapters saved alone and loaded back."""

import pytest
import torch
from safetensors.torch import load_file
from train_cli import DATA_ARGS, train

from codeeff.model_adapters.early_exit import adapters as exit_adapters

EXITS = ["--exits", "2,4"]


@pytest.fixture(scope="module")
def adapters_run(tiny6, tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("exit_adapters") / "run"
    argv = ["exits", "--model", str(tiny6), "--out", str(out), "--mode", "adapters", "--adapter-rank", "8", *EXITS]
    argv += [*DATA_ARGS, "--data-dir", str(data_dir), "--lr", "1e-2", "--max-steps", "20", "--logging-steps", "5"]
    return out, train(*argv)


def test_only_the_adapters_train_and_exits_agree_more(adapters_run):
    out, result = adapters_run
    logs = [entry for entry in result["history"] if "loss" in entry]
    assert logs[-1]["loss_exit_2"] < logs[0]["loss_exit_2"]
    assert "loss_exit_6" not in logs[0]  # the final layer has no adapter: no loss term
    assert result["results"]["trainable_params"] == 2 * (64 * 8 + 8 * 64 + 64)
    before, after = result["results"]["agreement_before"], result["results"]["agreement_after"]
    assert after["agreement"]["2"] > before["agreement"]["2"]
    assert after["accuracy"]["final"] == before["accuracy"]["final"]  # backbone untouched
    assert not (out / "model").exists()


def test_adapter_file_loads_back_with_its_hash(adapters_run, tiny6):
    out, result = adapters_run
    path = out / "exit_adapters.safetensors"
    digest = result["results"]["outputs"]["sha256"]
    assert digest == exit_adapters.sha256_file(path)
    loaded = exit_adapters.load(path, hidden_size=64, sha256=digest)
    assert loaded.depths == [2, 4] and loaded.rank == 8
    stored = load_file(str(path))
    assert torch.equal(loaded.adapters["2"].up.weight, stored["exit_2.up"])
    assert stored["exit_2.up"].abs().sum() > 0  # trained away from the identity start
    spec = (out / "variant.yaml").read_text()
    assert f"exit_adapters_sha256: {digest}" in spec


def test_adapter_file_rejects_wrong_hash_size_and_format(adapters_run, tmp_path):
    out, _ = adapters_run
    path = out / "exit_adapters.safetensors"
    with pytest.raises(ValueError, match="sha256"):
        exit_adapters.load(path, sha256="0" * 64)
    with pytest.raises(ValueError, match="hidden size 64"):
        exit_adapters.load(path, hidden_size=576)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="not a safetensors"):
        exit_adapters.load(junk)


def test_adapter_starts_as_identity_and_full_rank_is_affine():
    h = torch.randn(3, 16)
    for rank in (0, 4):
        adapters = exit_adapters.ExitAdapters([2, 5], 16, rank)
        assert torch.equal(adapters(h, 5), h)
    assert exit_adapters.ExitAdapters([2], 16, 0).flops_per_row() == 2 * 16 * 16
    with pytest.raises(ValueError, match="rank"):
        exit_adapters.ExitAdapters([2], 16, -1)


def test_codeeff_hf_exits_read_the_adapted_state(adapters_run, tiny6):
    """fixed:2 with the adapters = head(norm(adapter_2(h_2))); a dynamic exit's check cost includes the adapter."""
    from transformers import AutoModelForCausalLM

    from codeeff.model_adapters.arch import spec_for_model
    from codeeff.model_adapters.spec import parse_variant
    from codeeff.model_adapters.variant import LoadedVariant

    out, result = adapters_run
    path, digest = out / "exit_adapters.safetensors", result["results"]["outputs"]["sha256"]
    model = AutoModelForCausalLM.from_pretrained(tiny6).eval()
    arch = spec_for_model(model)
    ids = torch.randint(0, model.config.vocab_size, (2, 7))
    with torch.no_grad():
        hidden = model(ids, output_hidden_states=True).hidden_states[2]
        expected = arch.head_logits(model, exit_adapters.load(path)(hidden, 2))
        plain = arch.head_logits(model, hidden)
    options = {"early_exit": "fixed:2", "exit_adapters": str(path), "exit_adapters_sha256": digest}
    variant = LoadedVariant(model, parse_variant(options))
    with torch.no_grad():
        got = model(ids).logits
    variant.restore()
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
    assert not torch.allclose(got, plain, atol=1e-3)

    dynamic = {"early_exit": "confidence:0.5", "exit_layers": [2, 4], "exit_adapters": str(path)}
    variant = LoadedVariant(model, parse_variant(dynamic))
    transform = variant.stack.transforms[0]
    assert transform.describe()["exit_adapters"]["rank"] == 8
    head_check = transform.check_flops_per_row - transform.adapters.flops_per_row()
    assert transform.adapters.flops_per_row() == 2 * (64 * 8 + 8 * 64) and head_check > 0
    variant.restore()


def test_codeeff_hf_rejects_a_wrong_hash_or_missing_exit(adapters_run, tiny6):
    from transformers import AutoModelForCausalLM

    from codeeff.model_adapters.errors import VariantSpecError
    from codeeff.model_adapters.spec import parse_variant
    from codeeff.model_adapters.variant import LoadedVariant

    out, _ = adapters_run
    path = str(out / "exit_adapters.safetensors")
    model = AutoModelForCausalLM.from_pretrained(tiny6).eval()
    wrong_hash = {"early_exit": "fixed:2", "exit_adapters": path, "exit_adapters_sha256": "ab"}
    with pytest.raises(VariantSpecError, match="sha256"):
        LoadedVariant(model, parse_variant(wrong_hash))
    missing = {"early_exit": "confidence:0.5", "exit_layers": [2, 3], "exit_adapters": path}
    with pytest.raises(VariantSpecError, match=r"no adapter for exit depth\(s\) \[3\]"):
        LoadedVariant(model, parse_variant(missing))


def test_ridge_map_recovers_a_linear_map():
    from codeeff.train.exit_fit import ridge_map

    torch.manual_seed(0)
    x = torch.randn(400, 6)
    w, b = torch.randn(6, 6), torch.randn(6)
    got_w, got_b = ridge_map(x, x @ w + b, ridge=0.0)
    torch.testing.assert_close(got_w, w, atol=1e-4, rtol=0)
    torch.testing.assert_close(got_b, b, atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="more positions"):
        ridge_map(x[:5], x[:5], 0.0)


@pytest.mark.parametrize("rank", ["0", "4"])
def test_lstsq_fit_alone_raises_agreement(rank, tiny6, tmp_path, data_dir):
    """--adapter-init lstsq --max-steps 0: no gradient step, the fitted map alone moves the exits toward the final
    layer; rank 4 is the truncated map (its R² is at most the full map's)."""
    argv = [
        "exits",
        "--model",
        str(tiny6),
        "--out",
        str(tmp_path / "fit"),
        "--mode",
        "adapters",
        "--adapter-rank",
        rank,
    ]
    argv += ["--adapter-init", "lstsq", "--max-steps", "0", "--fit-blocks", "8", *EXITS, *DATA_ARGS]
    result = train(*argv, "--data-dir", str(data_dir))
    before, after = result["results"]["agreement_before"], result["results"]["agreement_after"]
    assert after["agreement"]["4"] > before["agreement"]["4"]
    r2 = result["results"]["fit_r2"]
    assert 0 < r2["2"] <= 1 and 0 < r2["4"] <= 1
    assert result["cost"]["steps"] == 0 and result["cost"]["tokens_seen"] == 8 * 48
    assert not result["history"]
