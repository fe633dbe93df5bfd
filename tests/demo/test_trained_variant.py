"""The demo's trained-exit variant: shipped files match their sha256 and form a valid codeeff-hf variant."""

import shutil

import pytest
import torch

from codeeff.demo import trained


def test_shipped_files_match_their_hashes_and_load():
    from codeeff.model_adapters.early_exit.adapters import load
    from codeeff.model_adapters.early_exit.policies import load_exit_mlp

    trained.verify()
    adapters = load(trained.ARTIFACTS / "exit_adapters.safetensors", 576, trained.SHA256["exit_adapters.safetensors"])
    assert adapters.depths == trained.EXIT_LAYERS
    net = load_exit_mlp(str(trained.ARTIFACTS / "exit_classifier.pt"))
    assert net[0].in_features == 576
    assert torch.isfinite(net(torch.zeros(1, 576))).all()


def test_a_changed_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "smollm2_exits"
    shutil.copytree(trained.ARTIFACTS, copy)
    with open(copy / "exit_classifier.pt", "ab") as fh:
        fh.write(b"\0")
    monkeypatch.setattr(trained, "ARTIFACTS", copy)
    with pytest.raises(SystemExit, match="exit_classifier.pt has sha256"):
        trained.verify()


def test_keys_are_a_valid_variant_for_the_demo_model_config():
    from transformers import LlamaConfig

    from codeeff.model_adapters.spec import parse_variant, validate_against_config

    spec = parse_variant(trained.keys())
    config = LlamaConfig(hidden_size=576, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
                         intermediate_size=1536, vocab_size=49152)  # fmt: skip
    validate_against_config(spec, config)
    assert set(spec.files) == {"early_exit", "exit_adapters"}
