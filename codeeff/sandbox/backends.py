"""Backend probing and choice: what can isolate programs on this machine, which one is used, and why.

Probes actually run a trivial program through each mechanism (a bwrap with every namespace as an unprivileged uid,
a cgroup created and removed, a seccomp filter compiled, a Docker daemon pinged), because "the binary exists" says
nothing about user namespaces being allowed or cgroups being writable. Results are cached per process.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
from typing import Any

from codeeff.sandbox.model import LANGUAGES, BackendInfo, SandboxUnavailableError

BACKENDS = ("bwrap", "docker", "process")
UNSAFE_LABEL = "NOT SAFE FOR HOSTILE CODE"
PROBE_UID = int(os.environ.get("CODEEFF_SANDBOX_UID_BASE", "61000")) + 499


def _probe_cgroup() -> tuple[bool, str]:
    from codeeff.sandbox.cgroups import create_slot_cgroup

    if os.geteuid() != 0:
        return False, "the harness is not root, so it cannot create cgroups for the sandbox"
    cgroup, reason = create_slot_cgroup(f"codeeff-probe-{os.getpid()}")
    if cgroup is None:
        return False, reason
    for path in set(cgroup.paths.values()):
        try:
            path.rmdir()
        except OSError:
            pass
    return True, f"cgroup v{cgroup.version}"


def _probe_seccomp() -> tuple[bool, str]:
    from codeeff.sandbox.seccomp import seccomp_unavailable_reason

    reason = seccomp_unavailable_reason()
    return reason is None, reason or "libseccomp filter denying io_uring, bpf, ptrace, mount, unshare, ..."


def _uid_preexec():
    def preexec() -> None:
        os.setgroups([])
        os.setresgid(PROBE_UID, PROBE_UID, PROBE_UID)
        os.setresuid(PROBE_UID, PROBE_UID, PROBE_UID)

    return preexec


@functools.lru_cache(maxsize=1)
def probe_bwrap() -> BackendInfo:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return BackendInfo("bwrap", False, "bubblewrap is not installed (apt-get install bubblewrap)")
    is_root = os.geteuid() == 0
    argv = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--clearenv", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64",
            "/lib64", "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--",
            "/usr/bin/python3", "-I", "-c", "import os; print(os.getuid())"]  # fmt: skip
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=30, preexec_fn=_uid_preexec() if is_root else None
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return BackendInfo("bwrap", False, f"bwrap could not run: {exc}")
    if done.returncode != 0:
        hint = " (unprivileged user namespaces are blocked: kernel.unprivileged_userns_clone, AppArmor or seccomp)"
        return BackendInfo("bwrap", False, f"bwrap failed: {done.stderr.strip()[-300:]}{hint}")
    cgroup_ok, cgroup_reason = _probe_cgroup()
    seccomp_ok, seccomp_reason = _probe_seccomp()
    isolation = {
        "level": "full" if (is_root and cgroup_ok) else "partial",
        "safe_for_hostile_code": True,
        "net": True,
        "pid": True,
        "mount": True,
        "ipc": True,
        "uid": is_root,
        "cgroup": cgroup_ok,
        "seccomp": seccomp_ok,
        "rlimits": True,
    }
    missing = {}
    if not is_root:
        missing["uid"] = "harness not root: programs keep the harness's uid (inside a user namespace)"
    if not cgroup_ok:
        missing["cgroup"] = cgroup_reason
    if not seccomp_ok:
        missing["seccomp"] = seccomp_reason
    reason = f"bwrap {_bwrap_version(bwrap)} as a per-slot uid, {cgroup_reason}; {seccomp_reason}"
    return BackendInfo("bwrap", True, reason, isolation, missing)


def _bwrap_version(bwrap: str) -> str:
    try:
        return subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


@functools.lru_cache(maxsize=1)
def probe_process() -> BackendInfo:
    cgroup_ok, cgroup_reason = _probe_cgroup()
    seccomp_ok, seccomp_reason = _probe_seccomp()
    is_root = os.geteuid() == 0
    isolation = {
        "level": "unsafe",
        "safe_for_hostile_code": False,
        "warning": UNSAFE_LABEL,
        "net": False,
        "pid": False,
        "mount": False,
        "ipc": False,
        "uid": is_root,
        "cgroup": cgroup_ok,
        "seccomp": seccomp_ok,
        "rlimits": True,
    }
    missing = {
        "net": "no network namespace (seccomp denies non-Unix sockets if available; abstract Unix sockets stay open)",
        "pid": "no pid namespace: programs can see host processes",
        "mount": "no mount namespace: programs see the host filesystem (world-readable files are readable)",
    }
    if not cgroup_ok:
        missing["cgroup"] = cgroup_reason
    if not seccomp_ok:
        missing["seccomp"] = seccomp_reason
    return BackendInfo("process", True, f"{UNSAFE_LABEL}: rlimits + new session + clean env", isolation, missing)


def probe_docker() -> BackendInfo:
    from codeeff.sandbox.docker_backend import probe  # the Docker backend (and the runner code it reuses) loads on use

    return probe()


def probe(name: str) -> BackendInfo:
    if name == "bwrap":
        return probe_bwrap()
    if name == "docker":
        return probe_docker()
    if name == "process":
        return probe_process()
    raise ValueError(f"unknown sandbox backend {name!r}; known: auto, {', '.join(BACKENDS)}")


def ensure_usable(backend: str = "auto", allow_unsafe: bool = False) -> BackendInfo:
    """The backend that will run programs; raises SandboxUnavailableError naming what is missing and what to do."""
    if backend == "none":
        if not allow_unsafe:
            raise SandboxUnavailableError("backend 'none' runs programs unsandboxed; pass allow_unsafe=True")
        return BackendInfo("none", True, "no isolation (benchmark baseline)", {"level": "none", "warning": UNSAFE_LABEL,
                           "safe_for_hostile_code": False})  # fmt: skip
    candidates = ("bwrap", "docker") if backend == "auto" else (backend,)
    reasons = []
    for name in candidates:
        info = probe(name)
        if info.available and (info.isolation.get("safe_for_hostile_code") or allow_unsafe):
            return info
        reasons.append(f"{name}: {info.reason if not info.available else UNSAFE_LABEL + ' (allow_unsafe not set)'}")
    if backend == "auto" and allow_unsafe:
        return probe_process()
    raise SandboxUnavailableError(
        "no usable sandbox backend: "
        + "; ".join(reasons)
        + ". Install bubblewrap (apt-get install bubblewrap) with unprivileged user namespaces enabled, or start a "
        "Docker daemon (pip install 'codeeff[docker]'), or accept the unsafe process fallback explicitly "
        "(allow_unsafe=True / --allow-unsafe)."
    )


def _python_runner(chosen: str | None, isolation: dict[str, Any]) -> dict[str, Any]:
    """Whether Python jobs will run in the slot's warm server or each in its own sandbox, and why."""
    from codeeff.sandbox.warm_python import warm_python_unavailable

    if chosen != "bwrap":
        return {"mode": "one-shot", "reason": "the warm server runs on the bwrap backend only"}
    unavailable = warm_python_unavailable(is_root=os.geteuid() == 0, has_run_cgroup=bool(isolation.get("cgroup")))
    if unavailable is not None:
        return {"mode": "one-shot", "reason": unavailable}
    return {
        "mode": "warm",
        "reason": "a sandboxed fork server per slot, checked by the host after every job and replaced on any change;"
        " any job it cannot vouch for is re-run one-shot",
    }


def runner_kind(info: BackendInfo, language: str) -> str:
    """``warm`` when ``language``'s jobs on this backend run in a slot's warm server, else ``one-shot``."""
    if language != "python":
        return "one-shot"
    return _python_runner(info.name, info.isolation)["mode"]


def doctor() -> dict[str, Any]:
    """Everything `codeeff sandbox doctor` prints: each backend, the chosen one, isolation achieved, runtimes."""
    from codeeff.sandbox.csharp import toolchain_report as csharp_toolchain
    from codeeff.sandbox.languages import runtime_version

    infos = {name: probe(name) for name in BACKENDS}
    try:
        chosen = ensure_usable("auto").name
        chosen_reason = ""
    except SandboxUnavailableError as exc:
        chosen, chosen_reason = None, str(exc)
    return {
        "chosen": chosen,
        "chosen_reason": chosen_reason,
        "isolation": infos[chosen].isolation if chosen else {},
        "backends": {name: info.as_dict() for name, info in infos.items()},
        "runtimes": {lang: runtime_version(lang) for lang in LANGUAGES},
        "csharp": csharp_toolchain(),
        "python_runner": _python_runner(chosen, infos[chosen].isolation if chosen else {}),
        "machine": {
            "kernel": platform.release(),
            "cpus": len(os.sched_getaffinity(0)),
            "harness_uid": os.geteuid(),
        },
    }
