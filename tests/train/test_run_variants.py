"""Each producer's output runs through ``codeeff run --model codeeff-hf`` on a 1-document task limit."""

import json

import pytest
from codeeff_support import run_codeeff
from train_cli import DATA_ARGS, train

pytestmark = pytest.mark.slow  # end-to-end runs: `make test-fast` leaves them out


def _run_one_document(model, spec, output, data_dir) -> dict:
    """``codeeff run`` of the variant on one py150_ctx30 document; its efficiency record."""
    result = run_codeeff(
        "run", "--model", "codeeff-hf", "--model_args", f"pretrained={model},spec={spec}",
        "--tasks", "py150_ctx30", "--limit", "1", "--metadata", json.dumps({"data_dir": str(data_dir)}),
        "--batch_size", "1", "--output_path", str(output), timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(next(output.rglob("results_*.json")).read_text())["config"]["efficiency"]


@pytest.mark.parametrize("producer", ["exits", "bypass", "abaco"])
def test_variant_runs_through_codeeff_run(producer, tiny6, tmp_path, data_dir):
    out = tmp_path / producer
    common = ["--model", str(tiny6), "--out", str(out), "--data-dir", str(data_dir), *DATA_ARGS]
    if producer == "exits":
        train("exits", *common, "--exits", "2,4", "--max-steps", "2", "--threshold", "0.0")
        model = out / "model"
    elif producer == "bypass":
        train("bypass", *common, "--select", "2", "--epochs", "1")
        model = out / "model"
    else:
        train("abaco", *common, "--rank", "8", "--max-steps", "2")
        model = tiny6
    efficiency = _run_one_document(model, out / "variant.yaml", tmp_path / "results", data_dir)
    transforms = [t["name"] for t in efficiency["variant"]["transforms"]]
    expected = {"exits": "early_exit", "bypass": "attn_bypass", "abaco": "factorize"}[producer]
    assert expected in transforms
    cost = efficiency["variant"]["training_cost"]  # the training.json beside the model, or named by the spec
    assert cost["parts"][0]["producer"] == producer and cost["tokens_seen"] > 0 and cost["wall_s"] > 0
    if producer == "exits":  # threshold 0: every generated token exits at the first exit
        assert (
            efficiency["figures"]["flops_per_token"]["value"] < efficiency["figures"]["flops_dense_per_token"]["value"]
        )


def test_vocab_exit_policy_runs_through_codeeff_run(tiny6, tmp_path, data_dir):
    """``exit-policy --kind vocab`` at T = 0: every generated token exits at the first exit, decided on the exit
    vocabulary, so the run costs less than dense and its record names the vocabulary."""
    out = tmp_path / "vocab"
    train("exit-policy", "--model", str(tiny6), "--out", str(out), "--data-dir", str(data_dir), *DATA_ARGS,
          "--kind", "vocab", "--exits", "2,4", "--max-positions", "256", "--vocab-size", "8", "--threshold", "0.0")  # fmt: skip
    efficiency = _run_one_document(tiny6, out / "variant_vocab.yaml", tmp_path / "results", data_dir)
    early_exit = next(t for t in efficiency["variant"]["transforms"] if t["name"] == "early_exit")
    assert early_exit["vocab"]["tokens"] == 8 and early_exit["policy"] == "confidence"
    figures = efficiency["figures"]
    assert figures["flops_per_token"]["value"] < figures["flops_dense_per_token"]["value"]
    assert efficiency["variant"]["training_cost"]["parts"][0]["producer"] == "exit-policy/vocab"
