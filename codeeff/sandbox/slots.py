"""Execution slots: a machine-wide numbered resource (uids, cgroups, work dir) claimed with ``flock``.

Each pool worker claims one slot for its lifetime. Independent processes (two pytest-xdist workers, two codeeff
runs) never share a slot because the claim is an exclusive ``flock`` on ``<base>/slot-N.lock``, released by the
kernel when the owner dies. A slot owns two numeric uids (no ``useradd`` needed): one for programs, one for its
compilers, so RLIMIT_NPROC (counted per uid) of a program is never eaten by the long-lived compile server, and
``kill(-1)`` from one slot can never reach another's processes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAX_SLOTS = 64
UID_BASE = int(os.environ.get("CODEEFF_SANDBOX_UID_BASE", "61000"))
COMPILE_UID_OFFSET = 500


def sandbox_base_dir() -> Path:
    """Root of slot locks and per-slot work dirs: traversable (0711) by slot uids, outside ``/root``."""
    override = os.environ.get("CODEEFF_SANDBOX_DIR")
    if override:
        base = Path(override)
    elif os.geteuid() == 0 and os.access("/run", os.W_OK):
        base = Path("/run/codeeff-sandbox")
    else:
        base = Path(tempfile.gettempdir()) / f"codeeff-sandbox-{os.geteuid()}"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o711)
    return base


@dataclass
class Slot:
    index: int
    lock_fd: int
    work_dir: Path

    @property
    def run_uid(self) -> int:
        return UID_BASE + self.index

    @property
    def compile_uid(self) -> int:
        return UID_BASE + COMPILE_UID_OFFSET + self.index

    def release(self) -> None:
        try:
            os.close(self.lock_fd)
        except OSError:
            pass


def claim_slot(base: Path | None = None) -> Slot:
    """Claim the lowest free slot; its work dir is wiped (a previous owner may have crashed)."""
    base = base or sandbox_base_dir()
    for index in range(MAX_SLOTS):
        fd = os.open(base / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        work_dir = base / f"slot-{index}"
        shutil.rmtree(work_dir, ignore_errors=True)
        work_dir.mkdir(mode=0o711)
        os.chmod(work_dir, 0o711)
        return Slot(index=index, lock_fd=fd, work_dir=work_dir)
    raise RuntimeError(f"all {MAX_SLOTS} sandbox slots under {base} are claimed by other processes")
