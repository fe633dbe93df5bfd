"""The leaderboard CSV carries its schema version; a CSV of another version is refused, an older one is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeeff.contracts.records import LEADERBOARD_SCHEMA, SCHEMA_COLUMN
from codeeff.leaderboard.table import TableError, read_csv, write_csv


def test_written_rows_carry_the_version_and_read_back(tmp_path: Path):
    path = tmp_path / "lb.csv"
    columns = write_csv([{SCHEMA_COLUMN: LEADERBOARD_SCHEMA, "model": "m", "task": "t", "ca": 0.5}], path)
    assert columns[0] == SCHEMA_COLUMN
    assert path.read_text().splitlines()[1].startswith(f"{LEADERBOARD_SCHEMA},m,")
    assert read_csv(path)[0][SCHEMA_COLUMN] == LEADERBOARD_SCHEMA


def test_a_csv_from_before_the_column_is_read_as_version_1(tmp_path: Path):
    path = tmp_path / "old.csv"
    path.write_text("model,task,ca\nm,t,0.5\n")
    assert read_csv(path)[0][SCHEMA_COLUMN] == LEADERBOARD_SCHEMA == "codeeff.leaderboard/1"


def test_another_version_is_refused(tmp_path: Path):
    path = tmp_path / "future.csv"
    path.write_text("schema,model,task,ca\ncodeeff.leaderboard/2,m,t,0.5\n")
    with pytest.raises(TableError, match="codeeff.leaderboard/2"):
        read_csv(path)
