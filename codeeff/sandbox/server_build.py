"""Machine-wide build of a compile helper (the javac and mcs servers' programs, the C++ precompiled header), done
once per source text."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path


def build_once(base: Path, name: str, source: str, source_file: str, artifact: str,
               compile_argv: Callable[[Path], list[str]]) -> Path:  # fmt: skip
    """Compile ``source`` into ``<base>/<name>-<digest>/`` unless that folder already holds ``artifact``.

    ``source_file`` may name a sub-folder (``bits/stdc++.h``). Concurrent callers serialize on
    ``<base>/<name>.lock``; the build happens in a private staging folder (the command from ``compile_argv(staging)``,
    run in ``staging``), is made world-readable (sandbox uids execute it) and is published with one rename, so a
    reader never sees a half-built folder.
    """
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    target = base / f"{name}-{digest}"
    if (target / artifact).exists():
        return target
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / artifact).exists():
            staging = base / f".{name}-{digest}-{os.getpid()}"
            staging.mkdir(mode=0o755, exist_ok=True)
            (staging / source_file).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            (staging / source_file).write_text(source)
            subprocess.run(compile_argv(staging), check=True, capture_output=True, timeout=300, cwd=staging)
            for path in [staging, *staging.rglob("*")]:
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
            os.replace(staging, target)
    return target
