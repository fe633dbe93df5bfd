import json

import pytest
import torch
import yaml
from train_cli import DATA_ARGS, train

EXITS = ["--exits", "2,4"]


@pytest.fixture(scope="module")
def norms_run(tiny6, tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("exits") / "norms"
    argv = ["exits", "--model", str(tiny6), "--out", str(out), "--mode", "norms", *EXITS, *DATA_ARGS]
    result = train(*argv, "--data-dir", str(data_dir), "--lr", "0.05", "--max-steps", "12", "--logging-steps", "3")
    return out, result


def test_exit_losses_decrease_and_are_logged_per_exit(norms_run):
    _, result = norms_run
    logs = [entry for entry in result["history"] if "loss" in entry]
    assert len(logs) == 4
    for key in ("loss", "loss_exit_2", "loss_exit_4", "loss_exit_6"):
        assert logs[-1][key] < logs[0][key], key
    assert result["cost"]["steps"] == 12 and result["cost"]["tokens_seen"] == 12 * 4 * 48


def test_agreement_table_before_and_after(norms_run):
    _, result = norms_run
    before, after = result["results"]["agreement_before"], result["results"]["agreement_after"]
    assert set(before["agreement"]) == {"2", "4"} and before["positions"] == after["positions"] > 0
    assert set(after["agreement"]) == {"2", "4"}
    assert "agree_before" in result["results"]["table"]


def test_full_fine_tune_raises_exit_agreement(tiny6, tmp_path, data_dir):
    """Training the whole network on the exit losses makes the shallow exit agree with the final layer more often
    (norm gains alone need not: they change every layer at once)."""
    argv = ["exits", "--model", str(tiny6), "--out", str(tmp_path / "full"), "--mode", "full", *EXITS, *DATA_ARGS]
    result = train(*argv, "--data-dir", str(data_dir), "--max-steps", "20", "--lr", "1e-2")
    before, after = result["results"]["agreement_before"], result["results"]["agreement_after"]
    assert after["agreement"]["2"] > before["agreement"]["2"] + 0.2


def test_norms_mode_changes_only_norm_gains(norms_run, tiny6):
    from transformers import AutoModelForCausalLM

    out, _ = norms_run
    base = AutoModelForCausalLM.from_pretrained(tiny6).state_dict()
    trained = AutoModelForCausalLM.from_pretrained(out / "model").state_dict()
    changed = {k for k in base if not torch.equal(base[k], trained[k])}
    assert changed and all("norm" in k for k in changed)


def test_variant_file_is_a_codeeff_hf_spec(norms_run):
    from codeeff.model_adapters.spec import parse_variant

    out, result = norms_run
    spec = yaml.safe_load((out / "variant.yaml").read_text())
    assert spec["exit_layers"] == [2, 4]
    options = parse_variant({k: v for k, v in spec.items() if k != "name"}).options("early_exit")
    assert options["early_exit"].startswith("confidence")
    assert (out / "model" / "training.json").is_file()
    assert result["data"]["train_rows"][0] >= result["data"]["heldout_from"]


def test_resume_continues_from_the_checkpoint(tiny6, tmp_path, data_dir):
    out = tmp_path / "resume"
    common = ["exits", "--model", str(tiny6), "--out", str(out), "--mode", "full", *EXITS, *DATA_ARGS]
    common += ["--data-dir", str(data_dir), "--save-steps", "2"]
    train(*common, "--max-steps", "2")
    assert (out / "checkpoints" / "checkpoint-2").is_dir()
    first = json.loads((out / "training.json").read_text())["cost"]
    saved = json.loads((out / "checkpoints" / "checkpoint-2" / "codeeff_cost.json").read_text())
    assert saved["step"] == 2 and 0 < saved["wall_s"] <= first["wall_s"]
    result = train(*common, "--max-steps", "4", "--resume")
    cost = result["cost"]
    assert cost["steps"] == 4 and "checkpoint-2" in cost["resumed_from"]
    # the record counts both invocations: the time up to checkpoint-2 plus this one
    assert cost["wall_s"] == round(saved["wall_s"] + cost["wall_s_this_invocation"], 2)
    assert cost["wall_s"] > cost["wall_s_this_invocation"] > 0


def test_resume_from_a_checkpoint_without_its_time_leaves_wall_time_unknown(tiny6, tmp_path, data_dir):
    out = tmp_path / "resume_unknown"
    common = ["exits", "--model", str(tiny6), "--out", str(out), "--mode", "full", *EXITS, *DATA_ARGS]
    common += ["--data-dir", str(data_dir), "--save-steps", "2"]
    train(*common, "--max-steps", "2")
    (out / "checkpoints" / "checkpoint-2" / "codeeff_cost.json").unlink()
    cost = train(*common, "--max-steps", "4", "--resume")["cost"]
    assert cost["wall_s"] is None and cost["wall_s_this_invocation"] > 0 and cost["tokens_seen"] > 0


def test_lora_mode_saves_adapter_and_merged_model(tiny6, tmp_path, data_dir):
    from transformers import AutoModelForCausalLM

    out = tmp_path / "lora"
    argv = ["exits", "--model", str(tiny6), "--out", str(out), "--mode", "lora", *EXITS, *DATA_ARGS]
    result = train(*argv, "--data-dir", str(data_dir), "--max-steps", "3", "--lr", "0.01")
    assert (out / "adapter" / "adapter_config.json").is_file()
    merged = AutoModelForCausalLM.from_pretrained(out / "model")
    assert not any("lora" in k for k in merged.state_dict())
    assert 0 < result["results"]["trainable_params"] < sum(p.numel() for p in merged.parameters()) / 2


def test_bad_arguments_are_one_error_line(tiny6, tmp_path, capsys):
    from codeeff.train.cli import main

    assert main(["exits", "--model", str(tiny6), "--out", str(tmp_path / "x"), "--exits", "9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--exits" in err[0]
    assert main(["exits", "--model", str(tmp_path / "none"), "--out", str(tmp_path / "y")]) == 2


@pytest.mark.parametrize("producer", [["exits", *EXITS], ["bypass", "--select", "1,2"], ["abaco", "--rank", "4"]])
def test_resume_without_a_checkpoint_fails_before_the_model_loads(producer, tiny6, tmp_path, capsys, monkeypatch):
    """The checkpoint check comes before the weights load, and no --out folder is left."""
    from codeeff.train import common
    from codeeff.train.cli import main

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(common, "load_model", no_load)
    out = tmp_path / "never"
    assert main([producer[0], "--model", str(tiny6), "--out", str(out), *producer[1:], "--resume"]) == 2
    assert "--resume: no checkpoint in" in capsys.readouterr().err
    assert not out.exists()
