"""``codeeff train exits --mode adapters``: frozen backbone, per-exit adapters saved alone and loaded back."""

import pytest
import torch
from conftest import DATA_ARGS, train
from safetensors.torch import load_file

from codeeff.model_adapters import exit_adapters

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
