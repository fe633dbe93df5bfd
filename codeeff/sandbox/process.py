"""The process fallback (NOT SAFE FOR HOSTILE CODE) and the unsandboxed benchmark baseline.

``process``: rlimits, a new session, a clean environment, the slot's uid and cgroup when the harness is root, and a
seccomp filter denying non-Unix sockets when available. There is no mount, pid or network namespace: the program
sees the host filesystem and processes. It only runs when the user opts in (``allow_unsafe=True``), and every
result and ``doctor`` carry the warning.

``none`` (benchmark only): a plain subprocess with pipes, no limits besides the wall clock and the output cap — the
"unsandboxed subprocess pool in the same harness" the sandbox's overhead is measured against.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from codeeff.sandbox.local import LocalBackend, Step
from codeeff.sandbox.seccomp import build_filter


class ProcessBackend(LocalBackend):
    uses_namespaces = False

    def __init__(self, isolation: dict[str, Any], *, unsandboxed: bool = False):
        self.unsandboxed = unsandboxed
        self.name = "none" if unsandboxed else "process"
        super().__init__(isolation)
        if unsandboxed:
            self.cgroups = {purpose: None for purpose in self.cgroups}
            self.is_root = False
        self._filter = None
        if not unsandboxed and isolation.get("seccomp"):
            try:
                self._filter = build_filter(network=False)
            except Exception:
                self._filter = None

    def _javac_work_prefix(self) -> str:
        return str(self.slot.work_dir)

    def _host_scratch(self, step: Step) -> Path:
        self._counter += 1
        path = self.slot.work_dir / f"run-{self._counter}"
        path.mkdir(mode=0o700)
        (path / "tmp").mkdir(mode=0o700)
        for name, data in step.files.items():
            (path / name).write_bytes(data)
        if step.uid is not None:
            for p in (path, path / "tmp", *(path / n for n in step.files)):
                os.chown(p, step.uid, step.uid)
        return path

    def _wrap(
        self, step: Step, host_work: Path | None, extra_fds: list[int], status_extra: dict[str, Any] | None = None
    ) -> tuple[list[str], str | None]:
        mapping = {inside: host for host, inside, _ in step.binds}
        if step.work_dir not in mapping:
            if host_work is None:
                raise RuntimeError("process backend: no host work dir for the step")
            mapping[step.work_dir] = str(host_work)
        argv = [_translate(arg, mapping) for arg in step.argv]
        workdir = mapping[step.work_dir]
        step.env = {
            **{k: _translate(v, mapping) for k, v in step.env.items()},
            "HOME": workdir,
            "TMPDIR": f"{workdir}/tmp" if host_work is not None else "/tmp",
        }
        return argv, workdir

    def _preexec(self, step: Step):
        if self.unsandboxed:
            return None
        return super()._preexec(step, extra=self._filter.load if self._filter is not None else None)

    def _kill(self, proc, cgroup) -> None:
        super()._kill(proc, cgroup)
        if not self.unsandboxed:
            try:
                os.killpg(proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass


def _translate(arg: str, mapping: dict[str, str]) -> str:
    for inside, host in mapping.items():
        if arg == inside or arg.startswith(inside + "/"):
            return host + arg[len(inside) :]
    return arg
