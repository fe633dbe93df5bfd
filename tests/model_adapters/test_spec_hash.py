"""A variant's hash follows the content of the files it references, not where they sit; its summary names no path.

The artifacts are the demo's trained exit adapters and classifier (real files shipped in the repository), copied to
two folders the way two checkouts hold them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codeeff.demo import trained
from codeeff.model_adapters.spec import VariantSpecError, parse_variant

ARTIFACTS = ("exit_classifier.pt", "exit_adapters.safetensors")


def _checkout(root: Path) -> Path:
    folder = root / "codeeff" / "demo" / "artifacts" / "smollm2_exits"
    folder.mkdir(parents=True)
    for name in ARTIFACTS:
        shutil.copyfile(trained.ARTIFACTS / name, folder / name)
    return folder


def _keys(folder: Path) -> dict[str, object]:
    return {
        "early_exit": f"classifier:{folder / 'exit_classifier.pt'}:0.8",
        "exit_layers": [14, 18, 22, 26],
        "exit_adapters": str(folder / "exit_adapters.safetensors"),
        "kv_mode": "copy",
    }


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))


def test_same_files_in_two_checkouts_hash_the_same(tmp_path: Path):
    first, second = _checkout(tmp_path / "a"), _checkout(tmp_path / "elsewhere" / "b")
    one, two = parse_variant(_keys(first)), parse_variant(_keys(second))
    assert one.hash == two.hash
    assert one.summary() == two.summary()
    assert one.values != two.values  # the paths differ; only the content enters the hash


@pytest.mark.parametrize("name", ARTIFACTS)
def test_one_changed_byte_changes_the_hash(tmp_path: Path, name: str):
    first, second = _checkout(tmp_path / "a"), _checkout(tmp_path / "b")
    _flip_last_byte(second / name)
    one, two = parse_variant(_keys(first)), parse_variant(_keys(second))
    assert one.hash != two.hash
    assert one.summary() != two.summary()


def test_summary_names_files_by_name_and_digest_not_path(tmp_path: Path):
    folder = _checkout(tmp_path / "checkout")
    spec = parse_variant(_keys(folder))
    summary = spec.summary()
    assert str(tmp_path) not in summary
    classifier = spec.files["early_exit"][:8]
    adapters = spec.files["exit_adapters"][:8]
    assert f"early_exit=classifier:exit_classifier.pt@{classifier}:0.8" in summary
    assert f"exit_adapters=exit_adapters.safetensors@{adapters}" in summary


def test_threshold_and_policy_kind_still_enter_the_hash(tmp_path: Path):
    folder = _checkout(tmp_path / "a")
    keys = _keys(folder)
    other_threshold = keys | {"early_exit": f"classifier:{folder / 'exit_classifier.pt'}:0.9"}
    policy = keys | {"early_exit": f"policy:{folder / 'exit_classifier.pt'}:0.8"}
    hashes = {parse_variant(k).hash for k in (keys, other_threshold, policy)}
    assert len(hashes) == 3


def test_a_folder_hashes_by_its_files_names_and_contents(tmp_path: Path):
    first, second = _checkout(tmp_path / "a"), _checkout(tmp_path / "b")
    assert parse_variant({"factors": str(first)}).hash == parse_variant({"factors": str(second)}).hash
    assert parse_variant({"factors": str(first)}).summary().startswith("factors=smollm2_exits@")
    (second / "exit_classifier.pt").rename(second / "classifier.pt")
    assert parse_variant({"factors": str(first)}).hash != parse_variant({"factors": str(second)}).hash
    third = _checkout(tmp_path / "c")
    _flip_last_byte(third / "exit_adapters.safetensors")
    assert parse_variant({"factors": str(first)}).hash != parse_variant({"factors": str(third)}).hash


def test_a_calibration_file_hashes_by_content_and_a_task_by_name(tmp_path: Path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "calib.jsonl").write_text(json.dumps({"text": "def f():\n    return 1\n"}) + "\n")
    keys = {"attn_bypass": "cosine:2"}
    from_a = parse_variant(keys | {"calib": str(tmp_path / "a" / "calib.jsonl")})
    from_b = parse_variant(keys | {"calib": str(tmp_path / "b" / "calib.jsonl")})
    assert from_a.hash == from_b.hash
    task = parse_variant(keys | {"calib": "task:codexglue_line_py150"})
    assert task.summary() == "attn_bypass=cosine:2, calib=task:codexglue_line_py150"


def test_training_record_stays_out_of_the_hash(tmp_path: Path):
    folder = _checkout(tmp_path / "a")
    record = tmp_path / "training.json"
    record.write_text(json.dumps({"format": "codeeff.training/1", "cost": {"wall_s": 1.0}}))
    with_record = parse_variant(_keys(folder) | {"training": str(record)})
    assert with_record.hash == parse_variant(_keys(folder)).hash
    assert "training=" not in with_record.summary()


def test_a_missing_referenced_file_is_one_clear_error(tmp_path: Path):
    folder = _checkout(tmp_path / "a")
    (folder / "exit_adapters.safetensors").unlink()
    with pytest.raises(VariantSpecError, match=r"^exit_adapters: file not found: .*exit_adapters\.safetensors$"):
        parse_variant(_keys(folder))


def test_hashes_of_variants_without_files_did_not_change():
    """Spec hashes recorded before files entered by content (leaderboards/ci-baseline.csv, demo rows)."""
    assert parse_variant({}).hash == "44136fa355b3"
    assert parse_variant({"early_exit": "confidence:0.9", "exit_layers": "1;2"}).hash == "8ea4cddc25bf"
    asvd = {"factorize": "svd", "factorize_targets": "q,k", "param_ratio": 0.5, "act_aware": True,
            "calib": "task:gtranseval_java2python", "calib_n": 8}  # fmt: skip
    assert parse_variant(asvd).hash == "16e59ac8adfd"
