"""The data resolver: precedence, the no-data error, sha256 verification of downloads."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from codeeff import data as D


@pytest.fixture
def isolated_env(monkeypatch, tmp_path):
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    monkeypatch.setenv("CODEEFF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _make_gtranseval_layout(root: Path) -> Path:
    for marker in D.DATASET_MARKERS["gtranseval"]:
        (root / marker).parent.mkdir(parents=True, exist_ok=True)
        (root / marker).write_text("x\n")
    return root


def test_explicit_beats_env_beats_cache(isolated_env, monkeypatch):
    explicit = _make_gtranseval_layout(isolated_env / "explicit")
    env_dir = _make_gtranseval_layout(isolated_env / "env")
    cache = _make_gtranseval_layout(D.default_cache_data_dir())
    monkeypatch.setenv(D.ENV_VAR, str(env_dir))
    assert D.resolve_data_dir("gtranseval", explicit) == explicit.resolve()
    assert D.resolve_data_dir("gtranseval") == env_dir.resolve()
    monkeypatch.delenv(D.ENV_VAR)
    assert D.resolve_data_dir("gtranseval", download=False) == cache


def test_shared_data_layout_works_as_is(data_dir):
    for dataset in ("gtranseval", "gtranseval_results", "codexglue_line"):
        assert D.resolve_data_dir(dataset, data_dir) == data_dir


def test_explicit_dir_without_dataset_is_an_error_not_a_fallback(isolated_env, monkeypatch):
    _make_gtranseval_layout(D.default_cache_data_dir())
    empty = isolated_env / "empty"
    empty.mkdir()
    with pytest.raises(D.DataNotFoundError) as info:
        D.resolve_data_dir("gtranseval", empty)
    assert "missing gtranseval/G-TransEval/Type_all/Python.test" in str(info.value)


def test_no_data_error_names_the_three_options(isolated_env):
    with pytest.raises(D.DataNotFoundError) as info:
        D.resolve_data_dir("codexglue_line", download=False)
    message = str(info.value)
    assert '--metadata \'{"data_dir"' in message
    assert D.ENV_VAR in message
    assert str(D.default_cache_data_dir()) in message


def test_fetch_verifies_sha256_and_writes_nothing_on_mismatch(tmp_path):
    good = tmp_path / "src" / "good.txt"
    good.parent.mkdir()
    good.write_bytes(b"hello\n")
    ok = D.ManifestFile(path="d/good.txt", sha256=hashlib.sha256(b"hello\n").hexdigest(), url=good.as_uri())
    bad = D.ManifestFile(path="d/bad.txt", sha256="0" * 64, url=good.as_uri())
    root = tmp_path / "root"
    D.fetch_dataset("gtranseval", root, files=[ok], progress=False)
    assert (root / "d/good.txt").read_bytes() == b"hello\n"
    with pytest.raises(D.DataIntegrityError, match="sha256 mismatch for d/bad.txt"):
        D.fetch_dataset("gtranseval", root, files=[bad], progress=False)
    assert not (root / "d/bad.txt").exists()
    assert [p.name for p in (root / "d").iterdir()] == ["good.txt"]


def test_fetch_extracts_verified_zip_members(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("dataset/py150/dev.json", '{"input": "<s> x", "gt": "y"}\n')
    archive = tmp_path / "dataset.zip"
    archive.write_bytes(buffer.getvalue())
    member_bytes = b'{"input": "<s> x", "gt": "y"}\n'
    entry = D.ManifestFile(
        path="codexglue/unixcoder_line_dev/py150/dev.json",
        sha256=hashlib.sha256(member_bytes).hexdigest(),
        archive_url=archive.as_uri(),
        archive_sha256=hashlib.sha256(buffer.getvalue()).hexdigest(),
        member="dataset/py150/dev.json",
    )
    D.fetch_dataset("codexglue_line", tmp_path / "root", files=[entry], progress=False)
    assert (tmp_path / "root" / entry.path).read_bytes() == member_bytes
    tampered = D.ManifestFile(**{**entry.__dict__, "archive_sha256": "f" * 64, "path": "other/dev.json"})
    with pytest.raises(D.DataIntegrityError, match="sha256 mismatch"):
        D.fetch_dataset("codexglue_line", tmp_path / "root2", files=[tampered], progress=False)


def test_manifest_pins_match_the_shared_data(data_dir):
    """Every pinned sha256 equals the real file's, so a download would reproduce shared/data byte for byte."""
    for dataset in ("gtranseval", "codexglue_line"):
        assert D.verify_dataset(dataset, data_dir) == []
    assert all("ceadb7bf05e4d104816e61e60b58146f24174934" in f.url for f in D.manifest_files("gtranseval"))
