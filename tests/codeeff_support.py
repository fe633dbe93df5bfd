"""Helpers shared by test modules (importable by name; conftest modules are not, since several share the name)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_codeeff(*args: str, env: dict | None = None, timeout: float = 600, cwd: Path | None = None):
    """Run the installed ``codeeff`` console script in a subprocess, offline, and return the CompletedProcess."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "DISABLE_MULTIPROC": "1"}
    full_env.update(env or {})
    exe = Path(sys.executable).with_name("codeeff")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd or REPO
    )
