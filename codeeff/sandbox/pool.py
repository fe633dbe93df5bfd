"""``run_jobs``: the cache, de-duplication, and a pool of single-threaded worker processes, one sandbox slot each.

Workers are processes, not threads (``preexec_fn`` is not thread-safe), started as ``python -m
codeeff.sandbox.worker`` (no re-import of the caller's ``__main__``), bounded by the usable cores, and kept alive
between calls so a slot's warm Java compiler is reused across batches. Each worker dies with its parent
(PR_SET_PDEATHSIG), which releases its slot lock and, through bwrap's --die-with-parent, its sandboxes. A worker
that dies mid-job is replaced and the job retried once; results come back in job order.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import selectors
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from codeeff.sandbox.backends import BackendInfo, ensure_usable, runner_kind
from codeeff.sandbox.cache import ResultCache, default_cache_dir, job_key
from codeeff.sandbox.frames import read_frame, write_frame
from codeeff.sandbox.model import Job, Result, Status

_POOLS: dict[tuple[str, int], WorkerPool] = {}
_POOLS_LOCK = threading.Lock()


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


class WorkerError(RuntimeError):
    pass


class _Worker:
    def __init__(self, info: BackendInfo):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "codeeff.sandbox.worker", json.dumps(info.as_dict())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        self.ready = False
        self.task: int | None = None
        self.run_uid: int | None = None

    def handshake(self) -> None:
        reply = read_frame(self.proc.stdout)
        if not reply or reply[0] != "ready":
            message = reply[1] if reply else f"exited with {self.proc.wait()}"
            raise WorkerError(f"sandbox worker failed to start: {message}")
        self.ready = True
        self.run_uid = (reply[1] or {}).get("run_uid")

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class WorkerPool:
    """A fixed number of workers for one backend; ``run`` feeds them tasks and reports results as they finish."""

    def __init__(self, info: BackendInfo, size: int):
        self.info, self.size = info, size
        self.workers: list[_Worker] = []
        self.lock = threading.Lock()

    def _fill(self) -> None:
        self.workers = [w for w in self.workers if w.proc.poll() is None]
        fresh = [_Worker(self.info) for _ in range(self.size - len(self.workers))]
        for worker in fresh:
            worker.handshake()
        self.workers += fresh

    def run(self, tasks: list[tuple[Job, str, str | None]], on_result: Callable[[int, Result], None]) -> None:
        with self.lock:
            self._run(tasks, on_result)

    def _run(self, tasks: list[tuple[Job, str, str | None]], on_result: Callable[[int, Result], None]) -> None:
        queue = deque(range(len(tasks)))
        retried: set[int] = set()
        self._fill()
        busy: dict[int, _Worker] = {}
        with selectors.DefaultSelector() as selector:
            while queue or busy:
                for worker in self.workers:
                    if worker.task is None and queue:
                        index = queue.popleft()
                        try:
                            write_frame(worker.proc.stdin, tasks[index])
                        except (BrokenPipeError, OSError):
                            queue.appendleft(index)
                            self._replace(worker, selector)
                            continue
                        worker.task = index
                        busy[worker.proc.stdout.fileno()] = worker
                        selector.register(worker.proc.stdout, selectors.EVENT_READ)
                if not busy:
                    continue
                for key, _ in selector.select():
                    worker = busy.pop(key.fd)
                    selector.unregister(key.fileobj)
                    index, worker.task = worker.task, None
                    result = read_frame(worker.proc.stdout)
                    if result is None:  # the worker died mid-job: replace it, retry the job once
                        code = worker.proc.wait()
                        self._replace(worker, selector)
                        if index not in retried:
                            retried.add(index)
                            queue.appendleft(index)
                            continue
                        result = Result(Status.SANDBOX_ERROR, backend=self.info.name,
                                        detail=f"sandbox worker died twice running this job (exit {code})")  # fmt: skip
                    on_result(index, result)

    def _replace(self, worker: _Worker, selector: selectors.BaseSelector) -> None:
        self.workers.remove(worker)
        worker.close()
        fresh = _Worker(self.info)
        fresh.handshake()
        self.workers.append(fresh)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
        self.workers = []


def _pool(info: BackendInfo, workers: int) -> WorkerPool:
    with _POOLS_LOCK:
        key = (info.name, workers)
        if key not in _POOLS:
            _POOLS[key] = WorkerPool(info, workers)
        return _POOLS[key]


@atexit.register
def shutdown_pools() -> None:
    """Stop every worker (their slots and compile servers go with them)."""
    with _POOLS_LOCK:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()


def active_run_uids() -> set[int]:
    """The uids this process's workers run programs as (tests check no process of theirs survives a job)."""
    with _POOLS_LOCK:
        return {w.run_uid for pool in _POOLS.values() for w in pool.workers if w.run_uid is not None}


def _cache_dir(cache: bool | str | os.PathLike | None) -> Path | None:
    if cache is False or cache is None:
        return None
    if cache is True:
        return default_cache_dir()
    return Path(cache)


def run_jobs(
    jobs: Sequence[Job],
    *,
    backend: str = "auto",
    workers: int | None = None,
    cache: bool | str | os.PathLike = True,
    progress: bool = True,
    allow_unsafe: bool = False,
) -> list[Result]:
    """Execute ``jobs`` in the sandbox and return one Result per job, in job order.

    ``cache``: True (``codeeff.data.user_cache_dir()/exec-cache``), a directory, or False. Identical jobs run once.
    Raises SandboxUnavailableError (before running anything) when no acceptable backend exists.
    """
    from tqdm.auto import tqdm

    info = ensure_usable(backend, allow_unsafe=allow_unsafe)
    jobs = list(jobs)
    keys = [job_key(job, info.name, runner_kind(info, job.language)) for job in jobs]
    cache_dir = _cache_dir(cache)
    results: list[Result | None] = [None] * len(jobs)
    if cache_dir is not None:
        store = ResultCache(cache_dir)
        hits = store.get_many(keys)
        store.close()
        for i, key in enumerate(keys):
            if key in hits:
                results[i] = dataclasses.replace(hits[key])
    pending: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if results[i] is None:
            pending.setdefault(key, []).append(i)
    unique = list(pending)
    bar = tqdm(total=len(jobs), desc=f"sandbox[{info.name}]", unit="prog", disable=not progress)
    bar.update(len(jobs) - sum(len(v) for v in pending.values()))

    def on_result(task_index: int, result: Result) -> None:
        for n, i in enumerate(pending[unique[task_index]]):
            results[i] = result if n == 0 else dataclasses.replace(result, cached=True)
            bar.update(1)

    tasks = [(jobs[pending[key][0]], key, str(cache_dir) if cache_dir else None) for key in unique]
    try:
        if tasks:
            _pool(info, workers or default_workers()).run(tasks, on_result)
    finally:
        bar.close()
    return [r if r is not None else Result(Status.SANDBOX_ERROR, detail="not executed") for r in results]
