"""The readable leaderboard: short labels, --baseline by run folder / label, headline Markdown, the HTML page in
headless Chromium (renders, sorts, signatures on hover, plots embedded), error bars and y ranges, file modes."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from lb_factory import efficiency_record, write_run

from codeeff.leaderboard import cli
from codeeff.leaderboard.labels import model_name, short_variant
from codeeff.leaderboard.plot import Point, y_range

BASE_CA = [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1]
LOW_CA = [0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1]
CONF = "early_exit=confidence:0.95, exit_layers=[26]"


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    write_run(root / "dense", model="/home/someone/models/SmolLM2", per_sample={"ca": BASE_CA},
              efficiency=efficiency_record("aaaaaaaaaaaa", "baseline (no transform)"))  # fmt: skip
    write_run(root / "ee", model="/home/someone/models/SmolLM2", per_sample={"ca": LOW_CA},
              efficiency=efficiency_record("bbbbbbbbbbbb", CONF, flops_per_token=1e6, tokens_per_s=80.0),
              timestamp="2026-11-23T19-00-00.000000")  # fmt: skip
    return root


@pytest.mark.parametrize(
    ("summary", "label"),
    [
        (None, "dense"),
        ("baseline (no transform)", "dense"),
        (CONF, "EE conf≥0.95@26"),
        ("early_exit=fixed:24", "EE fixed@24"),
        ("attn_bypass=cosine:4, calib=task:gtranseval_java2python, calib_n=8", "bypass cos×4"),
        (
            "act_aware=True, calib=task:x, calib_n=8, factorize=svd, factorize_targets=[q,k], param_ratio=0.5",
            "ASVD qk 50%",
        ),  # fmt: skip
        ("factorize=svd, factorize_targets=[gate,up], rank=64", "SVD gate,up r64"),
        ("attn_bypass=cosine:4, early_exit=fixed:20", "bypass cos×4 + EE fixed@20"),
        (  # files named by content (NAME@<8 hex of sha256>), as codeeff-hf writes summaries
            "early_exit=classifier:exit_classifier.pt@b5faa55f:0.8, exit_adapters=exit_adapters.safetensors@c8177ba1, "
            "exit_layers=[14,18,22,26], kv_mode=copy",
            "EE classifier≥0.8@14,18,22,26",
        ),
        ("factors=smollm2_svd@0a1b2c3d", "factors smollm2_svd@0a1b2c3d"),
    ],
)
def test_short_variant_labels(summary, label):
    assert short_variant(summary) == label


def test_model_names_lose_machine_paths():
    assert model_name("/root/.cache/codeeff/models/SmolLM2-135M-Instruct") == "SmolLM2-135M-Instruct"
    assert model_name("HuggingFaceTB/SmolLM2-135M") == "HuggingFaceTB/SmolLM2-135M"


@pytest.mark.parametrize("selector", ["dense", "aaaaaaaaaaaa", "SmolLM2@aaaaaaaaaaaa"])
def test_baseline_by_folder_label_or_hash(runs: Path, tmp_path: Path, selector: str):
    out = tmp_path / "lb.csv"
    assert cli.main([str(runs), "-o", str(out), "--baseline", selector]) == 0
    text = out.read_text()
    assert "SmolLM2@aaaaaaaaaaaa" in text.split("\n")[2]  # the variant's row names the dense run as baseline
    assert "/home/someone" not in text
    for path in tmp_path.glob("lb*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_baseline_that_matches_nothing_is_an_error(runs: Path, tmp_path: Path, capsys):
    assert cli.main([str(runs), "-o", str(tmp_path / "lb.csv"), "--baseline", "densee"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "matches no row" in err[0] and "folder dense" in err[0]
    assert not (tmp_path / "lb.csv").exists()


def test_headline_markdown(runs: Path, tmp_path: Path):
    out = tmp_path / "lb.csv"
    assert cli.main([str(runs), "-o", str(out), "--baseline", "dense", "--md"]) == 0
    md = (tmp_path / "lb.md").read_text()
    header = next(line for line in md.splitlines() if line.startswith("| task |"))
    assert header.count("|") - 1 <= 12
    ee = next(line for line in md.splitlines() if line.startswith("| synth_task | EE conf≥0.95@26 |"))
    cells = [c.strip() for c in ee.strip("|").split("|")]
    assert cells[3] == "ca" and cells[4] == "0.4 ± 0.2203"  # mean ± 1.96·stderr
    assert re.fullmatch(r"-0\.35 \[-0\.\d+, -0\.\d+\]", cells[5]), cells[5]  # Δ with its paired-bootstrap CI
    assert cells[6] == "50.0 %" and cells[7] == "80" and cells[9].startswith("n/a") and cells[10] == "cpu"
    assert "/home/someone" not in md


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("headless Chromium is needed: apt-get install -y chromium")
    return exe


def _dump_dom(page: Path, fragment: str = "") -> str:
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri() + fragment],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.slow
def test_html_page_renders_sorts_and_embeds_plots(runs: Path, tmp_path: Path):
    out = tmp_path / "lb.csv"
    assert cli.main([str(runs), "-o", str(out), "--baseline", "dense", "--html"]) == 0
    page = tmp_path / "lb.html"
    assert not list(tmp_path.glob("*.png"))  # --html alone: plots live only inside the page
    assert stat.S_IMODE(page.stat().st_mode) == 0o644
    source = page.read_text()
    assert "http://" not in source and "https://" not in source and "/home/someone" not in source
    dom = _dump_dom(page)
    assert 'data-ready="2"' in dom  # the script ran over both rows
    assert dom.count('src="data:image/png;base64,') == 1  # the FLOPs Pareto plot (no measured energy)
    titles = re.findall(r'<tr[^>]*title="([^"]*)"', dom)
    assert len(titles) == 2 and all("spec_hash: " in t and "env_fingerprint: " in t for t in titles)
    for fragment, first in (("#sort=7", "dense"), ("#sort=-7", "EE conf≥0.95@26")):  # tokens/s ascending, desc
        dom = _dump_dom(page, fragment)
        body = dom[dom.index("<tbody>") :]
        assert re.search(r"<tr[^>]*>\s*<td>synth_task</td>\s*<td>([^<]*)</td>", body).group(1) == first
        assert f'data-sorted="{fragment.split("=")[1]}"' in dom


def test_error_bars_and_y_range():
    flat = [Point(1.0, 0.0, "a", False), Point(2.0, 0.0, "b", True)]
    low, high = y_range(flat)
    assert low == 0.0 and 0.04 < high < 0.2  # flat zero metric: not -0.06..0.06
    flat_pct = [Point(1.0, 37.75, "a", False), Point(2.0, 37.75, "b", True)]
    low, high = y_range(flat_pct)
    assert 30 < low < 37.75 < high < 45
    bars = [Point(1.0, 0.5, "a", False, 0.2), Point(2.0, 0.6, "b", True, 0.1)]
    low, high = y_range(bars)
    assert low < 0.3 and high > 0.7  # error bars inside the axes
