"""Persistent worker processes that run with a fixed ``PYTHONHASHSEED``.

``PYTHONHASHSEED`` is read once, when an interpreter starts, so the only way to compute something under a fixed hash
seed from a process that has another one is a fresh interpreter. ``multiprocessing``'s spawn/forkserver re-import the
caller's ``__main__`` (breaking unguarded user scripts and notebooks), so the workers here are plain ``python -c``
subprocesses running :func:`serve`, that exchange pickled ``(function path, argument)`` jobs
over their stdin/stdout. Jobs are handed out dynamically (one in flight per worker) and results come back in job
order, so the outcome never depends on the number of workers.
"""

from __future__ import annotations

import atexit
import importlib
import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any


class WorkerError(RuntimeError):
    """A job raised inside a worker; the message carries the worker's traceback."""


def _resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


class SeededWorkers:
    """``workers`` interpreters started with ``PYTHONHASHSEED=seed``; :meth:`map` runs jobs on them in order."""

    def __init__(self, workers: int, seed: str = "0") -> None:
        # The parent's sys.path travels along, so workers import the same codeeff even when it is not installed.
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.seed = str(seed)
        self._procs = [
            subprocess.Popen(
                [sys.executable, "-c", "from codeeff.metrics.seeded_workers import serve; serve()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
            for _ in range(max(1, workers))
        ]
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self._procs)

    def alive(self) -> bool:
        return all(p.poll() is None for p in self._procs)

    def _run_on(self, proc: subprocess.Popen, fn_path: str, arg: Any) -> Any:
        pickle.dump((fn_path, arg), proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        proc.stdin.flush()
        try:
            ok, value = pickle.load(proc.stdout)
        except EOFError as exc:
            raise WorkerError(f"seeded worker {proc.pid} died (exit code {proc.poll()})") from exc
        if not ok:
            raise WorkerError(value)
        return value

    def map(self, fn_path: str, args: Sequence[Any]) -> list[Any]:
        """``[fn(a) for a in args]`` computed by the workers (``fn_path`` is ``"module:function"``)."""
        with self._lock:
            results: list[Any] = [None] * len(args)
            pending: queue.Queue = queue.Queue()
            for index, arg in enumerate(args):
                pending.put((index, arg))
            errors: list[BaseException] = []

            def drain(proc: subprocess.Popen) -> None:
                while not errors:
                    try:
                        index, arg = pending.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        results[index] = self._run_on(proc, fn_path, arg)
                    except BaseException as exc:  # reported to the caller below
                        errors.append(exc)

            threads = [threading.Thread(target=drain, args=(p,), daemon=True) for p in self._procs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if errors:
                self.close()
                raise errors[0]
            return results

    def close(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        for proc in self._procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs = []


_SHARED: dict[tuple[int, str], SeededWorkers] = {}


def shared_workers(workers: int, seed: str = "0") -> SeededWorkers:
    """A process-wide pool per (size, seed), started on first use and reused (start-up costs ~1 s)."""
    key = (max(1, workers), str(seed))
    pool = _SHARED.get(key)
    if pool is None or not pool.alive():
        pool = _SHARED[key] = SeededWorkers(*key)
    return pool


@atexit.register
def close_shared_workers() -> None:
    for pool in _SHARED.values():
        pool.close()
    _SHARED.clear()


def serve() -> None:
    """Worker loop: read ``(fn_path, arg)`` jobs from stdin, write ``(ok, result-or-traceback)`` to stdout."""
    reader, writer = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing may print into the result channel
    while True:
        try:
            fn_path, arg = pickle.load(reader)
        except EOFError:
            return
        try:
            reply = (True, _resolve(fn_path)(arg))
        except BaseException:
            reply = (False, traceback.format_exc())
        pickle.dump(reply, writer, protocol=pickle.HIGHEST_PROTOCOL)
        writer.flush()
