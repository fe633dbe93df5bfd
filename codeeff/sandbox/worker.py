"""A pool worker: a separate single-threaded Python process that owns one sandbox slot and runs jobs in it.

Started as ``python -m codeeff.sandbox.worker`` (not through multiprocessing, so the caller's ``__main__`` is never
re-imported and no ``if __name__ == "__main__"`` guard is needed). Protocol on stdin/stdout: length-prefixed pickles;
request ``(job, key, cache_dir)``, reply ``Result``. The worker dies with its parent (PR_SET_PDEATHSIG) and on EOF.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import traceback
from typing import Any

from codeeff.sandbox.frames import read_frame, write_frame


def make_backend(info: dict[str, Any]):
    name = info["name"]
    if name == "bwrap":
        from codeeff.sandbox.bwrap import BwrapBackend

        return BwrapBackend(info["isolation"])
    if name == "docker":
        from codeeff.sandbox.docker_backend import DockerBackend

        return DockerBackend(info["isolation"])
    if name in ("process", "none"):
        from codeeff.sandbox.process import ProcessBackend

        return ProcessBackend(info["isolation"], unsandboxed=name == "none")
    raise ValueError(f"unknown backend {name!r}")


def attempt(backend: Any, backend_name: str, job: Any, one_shot: bool) -> Any:
    """One run of ``job``; an exception of the harness becomes a ``sandbox_error`` result."""
    from codeeff.sandbox.model import Result, Status

    try:
        return backend.execute(job, one_shot=True) if one_shot else backend.execute(job)
    except Exception as exc:  # the harness's fault, never the model's
        return Result(Status.SANDBOX_ERROR, backend=backend_name,
                      detail=f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-2000:]}")  # fmt: skip


def execute(backend: Any, backend_name: str, job: Any, key: str, cache_dir: str | None, caches: dict) -> Any:
    """Run one job (a ``sandbox_error`` is retried once in a fresh one-shot sandbox) and commit it to the cache
    before replying (so a crash never loses a finished run); only results the host vouched for are cached."""
    from codeeff.sandbox.cache import ResultCache
    from codeeff.sandbox.model import Status

    result = attempt(backend, backend_name, job, one_shot=False)
    if result.status is Status.SANDBOX_ERROR:
        first = result.detail
        result = attempt(backend, backend_name, job, one_shot=True)
        result.isolation = {**result.isolation, "retried_after_sandbox_error": first[-500:]}
    if cache_dir is not None:
        if cache_dir not in caches:
            caches[cache_dir] = ResultCache(cache_dir)
        caches[cache_dir].put(key, result)
    return result


def main() -> int:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:
        return 1
    # Keep the protocol channel private: anything printed by library code goes to stderr.
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    channel_in = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    info = json.loads(sys.argv[1])
    try:
        backend = make_backend(info)
    except Exception as exc:
        write_frame(channel_out, ("init_error", f"{type(exc).__name__}: {exc}"))
        return 1
    slot = getattr(backend, "slot", None)
    write_frame(channel_out, ("ready", {"run_uid": slot.run_uid if slot is not None else None}))
    caches: dict = {}
    try:
        while True:
            request = read_frame(channel_in)
            if request is None:
                break
            job, key, cache_dir = request
            write_frame(channel_out, execute(backend, info["name"], job, key, cache_dir, caches))
    finally:
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
