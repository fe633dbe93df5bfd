"""Variant specs: list syntaxes, comma-split repair, file == inline (same hash), clear errors before weights load."""

from __future__ import annotations

import json

import pytest

from codeeff.model_adapters.arch import UnsupportedArchitectureError, spec_for_config
from codeeff.model_adapters.spec import VariantSpecError, parse_variant, rejoin_comma_split, validate_against_config
from codeeff.model_adapters.tiny import build_config


@pytest.mark.parametrize(
    "value",
    [[1, 2, 3], "1,2,3", "[1,2,3]", "1;2;3", "1 2 3", "1-3", "1..3:1", "1|2|3"],
)
def test_exit_layers_list_syntaxes(value):
    assert parse_variant({"early_exit": "saturation:0.9", "exit_layers": value}).values["exit_layers"] == [1, 2, 3]


def test_range_with_step_and_keywords():
    assert parse_variant({"exit_layers": "4-12:4"}).values["exit_layers"] == [4, 8, 12]
    assert parse_variant({"exit_layers": "seed"}).values["exit_layers"] == "seed"


def test_lm_eval_comma_split_is_repaired():
    from lm_eval.utils import simple_parse_args_string

    parsed = simple_parse_args_string("pretrained=x,early_exit=confidence:0.9,exit_layers=1,2,3,kv_mode=copy")
    repaired = rejoin_comma_split(parsed)
    assert repaired["exit_layers"] == "1,2,3" and repaired["kv_mode"] == "copy"
    parsed = simple_parse_args_string("pretrained=x,exit_layers=[1,2,3]")
    assert parse_variant({"exit_layers": rejoin_comma_split(parsed)["exit_layers"]}).values["exit_layers"] == [1, 2, 3]


def test_file_and_inline_spec_have_the_same_hash(tmp_path):
    inline = parse_variant({"early_exit": "confidence:0.9", "exit_layers": "1;2", "energy": "off"})
    path = tmp_path / "v.yaml"
    path.write_text("name: my variant\nearly_exit: confidence:0.9\nexit_layers: [1, 2]\n")
    from_yaml = parse_variant({}, spec_file=str(path))
    json_path = tmp_path / "v.json"
    json_path.write_text(json.dumps(inline.to_dict()))
    from_json = parse_variant({}, spec_file=str(json_path))
    assert inline.hash == from_yaml.hash == from_json.hash
    assert len(inline.hash) == 12 and inline.summary() == "early_exit=confidence:0.9, exit_layers=[1,2]"
    assert parse_variant({}).summary() == "baseline (no transform)"
    assert parse_variant({"exit_layers": [1, 3]}).hash != parse_variant({"exit_layers": [1, 2]}).hash
    assert (
        parse_variant({"early_exit": "fixed:2"}, spec_file=str(path)).values["early_exit"] == "fixed:2"
    )  # inline wins


def test_referenced_file_content_changes_the_hash(tmp_path):
    import torch
    from torch import nn

    from codeeff.model_adapters.early_exit.policies import save_exit_mlp

    path = tmp_path / "clf.pt"
    save_exit_mlp(path, nn.Sequential(nn.Linear(64, 4), nn.Tanh(), nn.Linear(4, 1)))
    first = parse_variant({"early_exit": f"classifier:{path}:0.7"})
    torch.manual_seed(1)
    save_exit_mlp(path, nn.Sequential(nn.Linear(64, 4), nn.Tanh(), nn.Linear(4, 1)))
    assert parse_variant({"early_exit": f"classifier:{path}:0.7"}).hash != first.hash


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"early_exitt": "fixed:2"}, "unknown variant key"),
        ({"early_exit": "sometimes"}, "early_exit"),
        ({"exit_layers": "a,b"}, "exit_layers"),
        ({"kv_mode": "teleport"}, "kv_mode"),
        ({"early_exit": "policy:/nonexistent/policy.pt:0.9"}, "not found"),
        ({"early_exit": "policy:/nonexistent/policy.pt"}, "threshold"),
    ],
)
def test_syntax_errors(options, message):
    with pytest.raises(VariantSpecError, match=message):
        parse_variant(options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"early_exit": "fixed:9"}, r"1\.\.4"),
        ({"early_exit": "confidence:0.9", "exit_layers": [2, 4]}, "out of range"),
        ({"early_exit": "confidence:1.5"}, "threshold"),
        ({"early_exit": "fixed:2", "exit_layers": [1]}, "dynamic policies"),
        ({"early_exit": "confidence:0.9", "exit_layers": "seed"}, "seed schedule"),
        ({"attn_bypass": [7]}, "out of range"),
        ({"factorize": "svd", "rank": 4096, "factorize_targets": "q"}, "rank"),
    ],
)
def test_config_errors(options, message):
    config = build_config("llama")
    with pytest.raises(VariantSpecError, match=message):
        validate_against_config(parse_variant(options), config)


def test_recompute_refuses_sliding_windows():
    with pytest.raises(VariantSpecError, match="sliding"):
        validate_against_config(
            parse_variant({"early_exit": "saturation:0.9", "kv_mode": "recompute"}), build_config("gemma2")
        )


def test_policy_input_size_must_match_hidden_size(tmp_path):
    from torch import nn

    from codeeff.model_adapters.early_exit.policies import save_exit_mlp

    path = tmp_path / "p.pt"
    save_exit_mlp(path, nn.Sequential(nn.Linear(32, 2)))
    with pytest.raises(VariantSpecError, match="32 inputs"):
        validate_against_config(parse_variant({"early_exit": f"policy:{path}:0.9"}), build_config("llama"))


def test_unknown_architecture_lists_the_supported_families():
    from transformers import GPT2Config

    with pytest.raises(UnsupportedArchitectureError, match="gemma2, llama, mistral, opt, qwen2, qwen3"):
        spec_for_config(GPT2Config())


def test_bad_model_args_fail_before_the_weights_load(tmp_path, tiny_dirs):
    """The weights file is removed: every error below must come from the config/spec checks alone."""
    import shutil

    from codeeff.model_adapters.lm import CodeeffHFLM

    folder = tmp_path / "config-only"
    shutil.copytree(tiny_dirs("llama"), folder)
    for weights in folder.glob("*.safetensors"):
        weights.unlink()
    cases = [
        ({"exit_layer": "[1,2]"}, "did you mean 'exit_layers'"),
        ({"early_exit": "fixed:12"}, "depth must be in"),
        ({"attn_bypass": "[9]"}, "out of range"),
        ({"factorize": "svd", "rank": 999, "factorize_targets": "q"}, "rank"),
        ({"early_exit": "policy:/missing/ppo.pt:0.9"}, "not found"),
    ]
    for extra, message in cases:
        with pytest.raises(VariantSpecError, match=message):
            CodeeffHFLM(pretrained=str(folder), device="cpu", **extra)


def test_lm_eval_comma_split_of_word_lists_and_role_ranks_is_repaired():
    from lm_eval.utils import simple_parse_args_string

    parsed = rejoin_comma_split(
        simple_parse_args_string("pretrained=x,factorize=svd,factorize_targets=gate,up,down,rank=gate:8,up:8,down:4")
    )
    variant = parse_variant({k: v for k, v in parsed.items() if k != "pretrained"})
    assert variant.values["factorize_targets"] == ["gate", "up", "down"]
    assert variant.values["rank"] == {"gate": 8, "up": 8, "down": 4}


def test_kv_mode_none_survives_lm_evals_none_conversion():
    """lm-eval's ``k=v`` parser turns the text ``none`` into None; kv_mode=none must not fall back to copy."""
    from lm_eval.utils import simple_parse_args_string

    raw = simple_parse_args_string("early_exit=confidence:0.5,kv_mode=none")
    assert raw["kv_mode"] is None
    assert parse_variant(raw).values["kv_mode"] == "none"
