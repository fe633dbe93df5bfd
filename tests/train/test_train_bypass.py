import pytest
import yaml
from train_cli import DATA_ARGS, train


@pytest.fixture(scope="module")
def bypass_run(tiny6, tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("bypass") / "explicit"
    argv = ["bypass", "--model", str(tiny6), "--out", str(out), "--select", "1,3", "--epochs", "2", "--lr", "0.01"]
    return out, train(*argv, "--data-dir", str(data_dir), *DATA_ARGS)


def test_m_fades_per_epoch_and_the_bypassed_loss_drops(bypass_run):
    _, result = bypass_run
    results = result["results"]
    assert results["m_schedule"] == [1.0, 0.5] and results["layers"] == [1, 3]
    assert results["val_loss_bypassed_after"] < results["val_loss_bypassed_before"]


def test_only_the_mlp_side_of_selected_layers_trains(bypass_run, tiny6):
    import torch
    from transformers import AutoModelForCausalLM

    out, _ = bypass_run
    base = AutoModelForCausalLM.from_pretrained(tiny6).state_dict()
    trained = AutoModelForCausalLM.from_pretrained(out / "model").state_dict()
    changed = {k for k in base if not torch.equal(base[k], trained[k])}
    assert changed and all(k.startswith(("model.layers.1.", "model.layers.3.")) for k in changed)
    assert not any("self_attn" in k or "input_layernorm" in k for k in changed)


def test_variant_is_the_2x_replacement(bypass_run):
    from codeeff.model_adapters.spec import parse_variant

    out, _ = bypass_run
    spec = yaml.safe_load((out / "variant.yaml").read_text())
    assert spec["bypass_mode"] == "blend" and spec["blend_m"] == 0.0 and spec["input_scale"] == 2.0
    parse_variant({k: v for k, v in spec.items() if k != "name"})


def test_reverse_nose_takes_the_last_selected_layers(tiny6, tmp_path, data_dir):
    argv = ["bypass", "--model", str(tiny6), "--out", str(tmp_path / "rev"), "--select", "reverse-nose:2"]
    argv += ["--nose-rounds", "4", "--epochs", "1", "--calib-blocks", "2", "--data-dir", str(data_dir), *DATA_ARGS]
    results = train(*argv)["results"]
    order = results["selection"]["order"]
    assert results["selection"]["method"] == "reverse-nose" and len(order) == 4
    assert results["layers"] == sorted(order[-2:]) != sorted(order[:2])


def test_fractional_epochs_are_refused(tiny6, tmp_path):
    from codeeff.train.cli import main

    argv = ["bypass", "--model", str(tiny6), "--out", str(tmp_path / "f"), "--select", "1", "--epochs", "1.5"]
    assert main(argv) == 2
