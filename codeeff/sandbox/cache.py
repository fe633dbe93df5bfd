"""On-disk execution cache: one SQLite row per distinct (program, tests, runtime version, limits, backend).

Crash safety: each result is committed by the worker that produced it, right after the run (SQLite WAL, one
transaction per row), so a ``kill -9`` mid-batch loses only runs that had not finished; a rerun reads everything that
had finished and executes only the rest. Several processes may share the cache (SQLite locking, busy timeout).
``sandbox_error`` results are never cached: they are the harness's fault and must be retried.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from codeeff.sandbox.languages import effective_limits, runtime_version
from codeeff.sandbox.model import Job, Result, Status, canonical_hash

CACHE_SCHEMA = 1


def default_cache_dir() -> Path:
    from codeeff.data import user_cache_dir

    return user_cache_dir() / "exec-cache"


def job_key(job: Job, backend: str) -> str:
    """Identity of a run: identical programs with identical tests, limits, runtime and backend run once."""
    return canonical_hash(
        {
            "schema": CACHE_SCHEMA,
            "job": job.fingerprint(),
            "limits": effective_limits(job).as_dict(),
            "runtime": runtime_version(job.language),
            "backend": backend,
        }
    )


class ResultCache:
    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "results.sqlite"
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, result TEXT NOT NULL, at REAL)")
            self._conn = conn
        return self._conn

    def get_many(self, keys: list[str]) -> dict[str, Result]:
        found: dict[str, Result] = {}
        conn = self._connect()
        unique = sorted(set(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, text in conn.execute(f"SELECT key, result FROM results WHERE key IN ({marks})", chunk):
                result = Result.from_dict(json.loads(text))
                result.cached = True
                found[key] = result
        return found

    def put(self, key: str, result: Result) -> None:
        if result.status is Status.SANDBOX_ERROR:
            return
        data = result.to_dict()
        data["cached"] = False
        self._connect().execute(
            "INSERT OR REPLACE INTO results (key, result, at) VALUES (?, ?, ?)", (key, json.dumps(data), time.time())
        )

    def count(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
