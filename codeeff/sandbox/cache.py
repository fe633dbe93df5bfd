"""On-disk execution cache: one SQLite row per distinct (program, tests, harness version, runtime version, limits,
backend, runner kind).

Only results the host vouched for are stored (:attr:`Result.cacheable`): never a ``sandbox_error`` (the harness's
fault; it must be retried) and never a warm run after which the host found the slot changed (``Result.anomaly``).
Crash safety: each result is committed by the worker that produced it, right after the run (SQLite WAL, one
transaction per row), so a ``kill -9`` mid-batch loses only runs that had not finished; a rerun reads everything that
had finished and executes only the rest. Several processes may share the cache (SQLite locking, busy timeout).
``codeeff sandbox cache stats|clear`` inspects or empties it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from codeeff.sandbox.languages import build_identity, effective_limits, runtime_version
from codeeff.sandbox.model import Job, Result, canonical_hash

CACHE_SCHEMA = 2


def default_cache_dir() -> Path:
    from codeeff.data import user_cache_dir

    return user_cache_dir() / "exec-cache"


def job_key(job: Job, backend: str, runner: str = "one-shot") -> str:
    """Identity of a run: identical programs with identical tests, harness version (``Job.harness_version``),
    limits, runtime, build settings (C++ flags and precompiled header), backend and runner kind (``warm`` or
    ``one-shot``) run once."""
    identity = {
        "schema": CACHE_SCHEMA,
        "job": job.fingerprint(),
        "limits": effective_limits(job).as_dict(),
        "runtime": runtime_version(job.language),
        "backend": backend,
        "runner": runner,
    }
    build = build_identity(job.language)
    if build is not None:  # C++: compile flags and precompiled-header scheme (other languages' keys are unchanged)
        identity["build"] = build
    return canonical_hash(identity)


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
        if not result.cacheable:
            return
        data = result.to_dict()
        data["cached"] = False
        self._connect().execute(
            "INSERT OR REPLACE INTO results (key, result, at) VALUES (?, ?, ?)", (key, json.dumps(data), time.time())
        )

    def count(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def stats(self) -> dict[str, object]:
        """Entries, their statuses and the size of the database files (``codeeff sandbox cache stats``)."""
        by_status: dict[str, int] = {}
        for (text,) in self._connect().execute("SELECT result FROM results"):
            label = str(json.loads(text).get("status"))
            by_status[label] = by_status.get(label, 0) + 1
        size = sum(p.stat().st_size for p in self.directory.glob("results.sqlite*") if p.is_file())
        return {"directory": str(self.directory), "entries": self.count(), "bytes": size,
                "by_status": dict(sorted(by_status.items()))}  # fmt: skip

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        conn = self._connect()
        removed = self.count()
        conn.execute("DELETE FROM results")
        conn.execute("VACUUM")
        return removed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
