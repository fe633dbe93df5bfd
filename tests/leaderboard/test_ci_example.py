"""The CI example's workflow: least privilege, actions pinned by SHA, a model cache, and a leaderboard step that
keeps the committed CSV's samples path valid; the committed baseline holds no machine paths."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "examples" / "ci" / "codeeff-regress.yml"
BASELINE = REPO / "leaderboards" / "ci-baseline.csv"


def _steps() -> list[dict]:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]["regress"]["steps"]


def test_permissions_pins_and_credentials():
    document = yaml.safe_load(WORKFLOW.read_text())
    assert document["permissions"] == {"contents": "read"}
    uses = [s["uses"] for s in _steps() if "uses" in s]
    assert uses and all(re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", u) for u in uses), uses
    checkout = next(s for s in _steps() if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False
    cache = next(s for s in _steps() if s.get("uses", "").startswith("actions/cache@"))
    assert "~/.cache/codeeff/models" in cache["with"]["path"]


def test_leaderboard_step_keeps_the_samples_folder_beside_the_csv():
    step = next(s for s in _steps() if s.get("name", "").startswith("Leaderboard"))["run"]
    assert 'cp -r "${BASELINE_CSV%.csv}.samples" out/leaderboard/' in step  # keeps ci-baseline.samples
    assert 'board="out/leaderboard/$(basename "$BASELINE_CSV")"' in step  # and the CSV's own name
    with open(BASELINE) as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        assert row["samples_file"].startswith("ci-baseline.samples/")
        assert (BASELINE.parent / row["samples_file"]).is_file()


def test_committed_baseline_has_no_machine_paths():
    for path in [BASELINE, BASELINE.with_suffix(".md"), *BASELINE.with_suffix(".samples").iterdir()]:
        text = path.read_text()
        assert not re.search(r"/(tmp|root|home|work)/", text), path
