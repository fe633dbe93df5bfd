"""The demo's trained-exit variant: shipped files match their sha256 and form a valid codeeff-hf variant."""

import json
import shutil

import pytest
import torch

from codeeff.demo import trained


def _config_dir(tmp_path, hidden_size: int, layers: int):
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": hidden_size, "num_hidden_layers": layers}))
    return tmp_path


def test_shipped_files_match_their_hashes_and_load(tmp_path):
    from codeeff.model_adapters.early_exit.adapters import load
    from codeeff.model_adapters.early_exit.policies import load_exit_mlp

    trained.verify(_config_dir(tmp_path, 576, 30))
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
    (tmp_path / "model").mkdir()
    model_dir = _config_dir(tmp_path / "model", 576, 30)
    with pytest.raises(SystemExit, match="exit_classifier.pt has sha256"):
        trained.verify(model_dir)


def test_another_model_shape_is_refused_before_loading(tmp_path):
    with pytest.raises(SystemExit, match="fitted on SmolLM2-135M-Instruct.*hidden_size"):
        trained.verify(_config_dir(tmp_path, 32, 30))


def test_keys_are_a_valid_variant_for_the_demo_model_config():
    from transformers import LlamaConfig

    from codeeff.model_adapters.spec import parse_variant, validate_against_config

    spec = parse_variant(trained.keys())
    config = LlamaConfig(hidden_size=576, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
                         intermediate_size=1536, vocab_size=49152)  # fmt: skip
    validate_against_config(spec, config)
    assert set(spec.files) == {"early_exit", "exit_adapters"}  # training records are not hashed


def test_the_shipped_training_records_are_those_of_the_shipped_files():
    from codeeff.model_adapters.measure.training_cost import record_paths, training_cost

    paths = record_paths(trained.keys()["training"], None)
    adapters_record = json.loads(paths[0].read_text())
    assert adapters_record["results"]["outputs"]["sha256"] == trained.SHA256["exit_adapters.safetensors"]
    classifier_record = json.loads(paths[1].read_text())
    assert classifier_record["producer"] == "exit-policy/classifier"
    assert classifier_record["args"]["exit_adapters"].endswith("exit_adapters.safetensors")
    cost = training_cost(paths)
    assert cost["wall_s"] == round(461.72 + 1161.73, 2) and cost["tokens_seen"] == 8192 + 3072
    # every evaluated demo document is below the rows the files were made from
    assert min(part["heldout_from"] for part in cost["parts"]) == 3469
