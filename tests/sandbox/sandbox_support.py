"""Fixtures of the sandbox tests: a hostile environment (canaries, a secret, loopback listeners) and helpers.

The environment secret is set at import time, before any sandbox worker starts, so workers inherit it: a program
that can read it proves the sandbox leaks the harness's environment.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ENV_SECRET = "codeeff-env-secret-" + secrets.token_hex(8)
os.environ["CODEEFF_HOSTILE_ENV_SECRET"] = ENV_SECRET

HOSTILE_DIR = Path(__file__).with_name("hostile")
LANGUAGE_OF = {".py": "python", ".java": "java", ".cpp": "cpp", ".js": "javascript"}


@dataclass
class HostileProgram:
    path: Path
    language: str
    expect: str
    limits: dict[str, float]
    what: str

    @property
    def id(self) -> str:
        return self.path.name


def load_corpus(directory: Path = HOSTILE_DIR) -> list[HostileProgram]:
    """Every program in ``directory`` with the header it declares (``expect:``, optional ``limits:``, ``what:``)."""
    programs = []
    for path in sorted(directory.iterdir()):
        if path.suffix not in LANGUAGE_OF:
            continue
        header = {}
        for line in path.read_text().splitlines()[:4]:
            match = re.match(r"^(?:#|//)\s*(expect|limits|what):\s*(.*)$", line)
            if match:
                header[match.group(1)] = match.group(2).strip()
        limits = {k: _number(v) for k, v in (item.split("=") for item in header.get("limits", "").split() if item)}
        programs.append(
            HostileProgram(path, LANGUAGE_OF[path.suffix], header["expect"], limits, header.get("what", ""))
        )
    return programs


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


@dataclass
class HostileEnv:
    canary_dir: Path
    canary_text: str
    secret_file: Path
    secret: str
    tcp: socket.socket
    udp: socket.socket
    unix: socket.socket
    unix_name: str

    @property
    def args(self) -> tuple[str, ...]:
        """argv convention of the corpus: canary dir, TCP port, UDP port, abstract socket name, secret file."""
        return (str(self.canary_dir), str(self.tcp.getsockname()[1]), str(self.udp.getsockname()[1]), self.unix_name,
                str(self.secret_file))  # fmt: skip

    def intrusions(self) -> list[str]:
        """What reached the host: connections, datagrams, changed or new canary files."""
        found = []
        for name, sock in (("tcp", self.tcp), ("abstract unix", self.unix)):
            try:
                conn, _ = sock.accept()
                found.append(f"{name} connection accepted")
                conn.close()
            except (BlockingIOError, TimeoutError):
                pass
        try:
            data = self.udp.recv(100)
            found.append(f"udp datagram {data!r}")
        except (BlockingIOError, TimeoutError):
            pass
        canary = self.canary_dir / "canary.txt"
        if not canary.exists() or canary.read_text() != self.canary_text:
            found.append("canary changed or deleted")
        extra = sorted(p.name for p in self.canary_dir.iterdir() if p.name != "canary.txt")
        if extra:
            found.append(f"files dropped in the canary dir: {extra}")
        for path in ("/usr/codeeff-pwned", "/etc/codeeff-pwned", "/root/codeeff-pwned", "/var/tmp/codeeff-pwned"):
            if os.path.exists(path):
                found.append(f"{path} created")
        return found


@pytest.fixture
def hostile_env():
    """World-readable secret and world-writable canary outside any home dir, plus loopback listeners."""
    base = Path(tempfile.mkdtemp(prefix="codeeff-hostile-", dir="/var/tmp"))
    os.chmod(base, 0o755)
    canary_dir = base / "canary"
    canary_dir.mkdir()
    os.chmod(canary_dir, 0o777)
    canary_text = "canary " + secrets.token_hex(8)
    (canary_dir / "canary.txt").write_text(canary_text)
    os.chmod(canary_dir / "canary.txt", 0o666)
    secret = "codeeff-file-secret-" + secrets.token_hex(8)
    secret_file = base / "secret.txt"
    secret_file.write_text(secret)
    os.chmod(secret_file, 0o644)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    unix_name = "codeeff-hostile-" + secrets.token_hex(6)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind("\0" + unix_name)
    unix.listen(8)
    for sock in (tcp, udp, unix):
        sock.setblocking(False)
    env = HostileEnv(canary_dir, canary_text, secret_file, secret, tcp, udp, unix, unix_name)
    yield env
    for sock in (tcp, udp, unix):
        sock.close()
    shutil.rmtree(base, ignore_errors=True)


def processes_of(uids: set[int], *, include_warm_servers: bool = False) -> list[str]:
    """Host processes whose real uid is one of ``uids`` (orphans of sandboxed programs).

    A slot's warm Python server (bwrap, its pid-1 and the server: 3 processes in the slot's ``-warm`` cgroup) runs
    as the slot's run uid between jobs and is not an orphan; a job's processes never live in that cgroup (the host
    moves each job into the run cgroup before it starts). More than 3 processes there, or any that is not bwrap or
    python3, is reported like an orphan.
    """
    found = []
    warm: dict[str, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cgroups = (entry / "cgroup").read_text()
        except OSError:
            continue
        uid_line = next((line for line in status.splitlines() if line.startswith("Uid:")), "")
        state = next((line for line in status.splitlines() if line.startswith("State:")), "")
        if uid_line and int(uid_line.split()[1]) in uids and "Z" not in state.split()[1:2]:
            name = next((line for line in status.splitlines() if line.startswith("Name:")), "")
            memory_cgroup = next((line.split(":", 2)[2] for line in cgroups.splitlines() if ":memory:" in line), "")
            parent = next((line for line in status.splitlines() if line.startswith("PPid:")), "")
            described = f"{entry.name} {name} {state} cgroup {memory_cgroup} {parent}"
            server_cgroup = next(iter(re.findall(r"codeeff-slot-\d+-warm$", cgroups, re.MULTILINE)), None)
            if server_cgroup and not include_warm_servers:
                warm.setdefault(server_cgroup, []).append(described)
                continue
            found.append(described)
    for members in warm.values():
        if len(members) > 3 or any(m.split("\t")[1].split()[0] not in ("bwrap", "python3") for m in members):
            found.extend(members)
    return found


def lasting_processes_of(uids: set[int], settle_s: float = 0.5) -> list[str]:
    """:func:`processes_of`, counting only processes still there ``settle_s`` later (a killed process leaves its
    cgroup before it leaves /proc, so one caught exiting is not an orphan)."""
    import time

    first = processes_of(uids)
    if not first:
        return []
    time.sleep(settle_s)
    still = {entry.split()[0] for entry in processes_of(uids)}
    return [entry for entry in first if entry.split()[0] in still]
