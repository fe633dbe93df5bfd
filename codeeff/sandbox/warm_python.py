"""The warm Python runner, host side: one long-lived sandboxed fork server per slot runs Python jobs without paying
interpreter start-up and module imports for each (see ``warm_python_server.py`` for the in-sandbox half).

The server lives in a bwrap sandbox built like a one-shot run's (namespaces, slot run uid, seccomp, read-only
``/usr`` and ``/dev``), in its own small cgroup; its ``/sandbox``, ``/tmp`` and ``/dev/shm`` are root-owned,
size-limited tmpfs mounted by the host (``scratch.py``). For each job the host writes the job's files itself
(``O_EXCL|O_NOFOLLOW``, root-owned) and sends fresh pipes, the rlimits and a memfd with the job's arguments; the
server forks without reading any of it; the host moves the child into the slot's run cgroup (configured and reset
exactly as for a one-shot run) and only then lets it start, so limits, OOM, CPU time and the kill-all afterwards
cover the job and nothing else. After the job the host checks the slot (``warm_checks.py``); on any anomaly the
result is marked (``Result.anomaly``: still the job's own outcome, never cached) and the server is replaced before
the next job. Whenever the outcome of a job is not known for sure (the server died or broke protocol before
reporting the exit), :meth:`WarmPython.run` returns None and the caller runs that job the one-shot way.

Disable it with ``CODEEFF_SANDBOX_WARM_PYTHON=0`` (every Python job then starts its own sandbox).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeeff.sandbox import warm_python_server as frames
from codeeff.sandbox.cgroups import SlotCgroup, create_slot_cgroup
from codeeff.sandbox.launch import RawRun, collect_output, make_memfd, split_returncode
from codeeff.sandbox.model import Limits
from codeeff.sandbox.scratch import enter_private_mount_namespace, mount_mqueue_of, mount_tmpfs, unmount
from codeeff.sandbox.warm_checks import SlotBaseline, check_slot, process_state, write_job_files

if TYPE_CHECKING:
    from codeeff.sandbox.local import LocalBackend, Step, StepOutcome

# The server imports only the standard library; loaded with this module so a changed file is a changed server.
SERVER_SOURCE = (Path(__file__).with_name("warm_python_server.py")).read_text()
SERVER_LIMITS = Limits(memory_mb=256, processes=16)
PROTOCOL_TIMEOUT_S = 10.0
MAX_START_FAILURES = 3
ENV_SWITCH = "CODEEFF_SANDBOX_WARM_PYTHON"


def warm_python_unavailable(*, is_root: bool, has_run_cgroup: bool) -> str | None:
    """None when a bwrap slot can use the warm runner, else why not (shown by ``codeeff sandbox doctor``)."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return f"{ENV_SWITCH}=0"
    if not (is_root and has_run_cgroup):
        return "moving jobs into the run cgroup needs root and a cgroup"
    return None


class ProtocolError(RuntimeError):
    """The server broke the protocol or went away: the job's outcome is unknown."""


class _Channel:
    """Framed JSON over the host's end of the control socket (the kernel attaches each sender's pid)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def send(self, message: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
        try:
            frames.send_frame(self.sock, message, fds)
        except OSError as exc:
            raise ProtocolError(f"send failed: {exc}") from exc

    def receive(self, timeout_s: float = PROTOCOL_TIMEOUT_S) -> tuple[dict[str, Any], int]:
        """The next message and the host pid of its sender."""
        self.sock.settimeout(timeout_s)
        try:
            message, fds, pid = frames.recv_frame(self.sock)
        except (OSError, ValueError) as exc:
            raise ProtocolError(f"receive failed: {exc}") from exc
        finally:
            self.sock.settimeout(None)
        for fd in fds:  # the server never sends descriptors; never leak one it might
            os.close(fd)
        if message is None:
            raise ProtocolError("the warm Python server closed its socket")
        return message, pid


class WarmPython:
    """The slot's fork server. Started lazily; restarted after a failure; given up after repeated start failures."""

    def __init__(self, backend: LocalBackend):
        self.backend = backend
        self.cgroup: SlotCgroup | None = None
        self.proc: subprocess.Popen | None = None
        self.channel: _Channel | None = None
        self.scratch_mb: int | None = None
        self.start_failures = 0
        self.disabled_reason: str | None = None
        self.baseline: SlotBaseline | None = None
        self.root = backend.slot.work_dir / "warm"
        self.check_cpu_s = 0.0  # CPU and wall time of the host's check of the slot after the last job
        self.check_wall_s = 0.0

    def _mount_scratch(self, scratch_mb: int) -> dict[str, Path]:
        """Fresh root-owned tmpfs for the server's /sandbox, /tmp and /dev/shm; returns inside path -> host path."""
        enter_private_mount_namespace()
        self.root.mkdir(mode=0o711, exist_ok=True)
        places = {"/sandbox": self.root / "sandbox", "/tmp": self.root / "tmp", "/dev/shm": self.root / "shm"}
        for host in places.values():
            unmount(host)
            mount_tmpfs(host, scratch_mb << 20)
        return places

    def _unmount_all(self) -> None:
        for name in ("sandbox", "tmp", "shm", "mqueue"):
            unmount(self.root / name)

    # -- life cycle -------------------------------------------------------------------------------------------------
    def _start(self, scratch_mb: int) -> None:
        backend = self.backend
        if self.cgroup is None:
            self.cgroup, reason = create_slot_cgroup(f"codeeff-slot-{backend.slot.index}-warm")
            if self.cgroup is None:
                raise ProtocolError(f"no cgroup for the warm server: {reason}")
        self.cgroup.kill_all()
        self.cgroup.configure(
            pids_max=SERVER_LIMITS.processes or 16, memory_bytes=(SERVER_LIMITS.memory_mb or 256) << 20
        )
        from codeeff.sandbox.local import RUN_ENV, Step

        places = self._mount_scratch(scratch_mb)
        host_end, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        host_end.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        server_fd = server_end.fileno()
        step = Step(
            argv=["/usr/bin/python3", "-E", "-s", "-B", "-c", SERVER_SOURCE, str(server_fd)],
            limits=Limits(memory_mb=SERVER_LIMITS.memory_mb, scratch_mb=scratch_mb),
            cgroup=self.cgroup,
            uid=backend.slot.run_uid,
            address_space=False,
            binds=[(str(host), inside, True) for inside, host in places.items()],
            env={**RUN_ENV, "HOME": "/sandbox"},
        )
        extra_fds: list[int] = []
        argv, cwd = backend._wrap(step, None, extra_fds)
        log = open(backend.slot.work_dir / "warm-python.log", "ab")  # noqa: SIM115 (owned by the Popen below)
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=step.env, cwd=cwd,
                pass_fds=(*extra_fds, server_fd), preexec_fn=backend._preexec(step), close_fds=True,
            )  # fmt: skip
        finally:
            log.close()
            server_end.close()
            for fd in extra_fds:
                os.close(fd)
        self.channel = _Channel(host_end)
        hello, server_pid = self.channel.receive(timeout_s=30.0)
        if hello.get("type") != "hello" or server_pid <= 0:
            raise ProtocolError(f"unexpected greeting {hello!r}")
        if server_pid not in self.cgroup.members():
            raise ProtocolError(f"the greeting came from pid {server_pid}, not from the server's cgroup")
        self.baseline = self._baseline(server_pid, places)
        self.scratch_mb = scratch_mb

    def _baseline(self, server_pid: int, places: dict[str, Path]) -> SlotBaseline:
        assert self.cgroup is not None
        ipc_fd = os.open(f"/proc/{server_pid}/ns/ipc", os.O_RDONLY | os.O_CLOEXEC)
        own_ipc_fd = os.open("/proc/self/ns/ipc", os.O_RDONLY | os.O_CLOEXEC)
        mqueue = self.root / "mqueue"
        try:
            mount_mqueue_of(ipc_fd, own_ipc_fd, mqueue)
            process = process_state(server_pid)
        except OSError:
            os.close(ipc_fd)
            os.close(own_ipc_fd)
            raise
        return SlotBaseline(
            server_pid=server_pid,
            process=process,
            cgroup_members=self.cgroup.members(),
            sandbox_dir=places["/sandbox"],
            empty_dirs=(places["/tmp"], places["/dev/shm"]),
            mqueue_dir=mqueue,
            ipc_fd=ipc_fd,
            own_ipc_fd=own_ipc_fd,
        )

    def stop(self) -> None:
        if self.proc is not None:
            try:
                self.proc.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None
        if self.channel is not None:
            self.channel.sock.close()
            self.channel = None
        if self.cgroup is not None:
            self.cgroup.kill_all()
        if self.baseline is not None:
            os.close(self.baseline.ipc_fd)
            os.close(self.baseline.own_ipc_fd)
            self.baseline = None
        self._unmount_all()

    def _ensure(self, scratch_mb: int) -> bool:
        if self.disabled_reason is not None:
            return False
        if self.proc is not None and self.proc.poll() is None and self.scratch_mb == scratch_mb:
            return True
        self.stop()
        try:
            self._start(scratch_mb)
        except (ProtocolError, OSError, ValueError) as exc:
            self.stop()
            self.start_failures += 1
            if self.start_failures >= MAX_START_FAILURES:
                self.disabled_reason = f"the warm Python server failed to start {self.start_failures} times: {exc}"
            return False
        return True

    # -- one job ----------------------------------------------------------------------------------------------------
    def run(self, step: Step, main: str, args: list[str], cgroup: SlotCgroup) -> StepOutcome | None:
        """Run one Python job in the warm server; None when its outcome is unknown (the caller runs it one-shot).

        The outcome's ``anomaly`` says what the check of the slot after the job found (the server is then replaced).
        """
        from codeeff.sandbox.local import StepOutcome, prepare_cgroup, rlimits_for

        limits = step.limits
        if not self._ensure(limits.scratch_mb or 64):
            return None
        assert self.channel is not None and self.baseline is not None
        channel, baseline = self.channel, self.baseline
        try:
            write_job_files(baseline, step.files)
        except OSError:
            self.stop()  # the scratch dir was not as verified: never run a job in it
            return None
        oom_before = prepare_cgroup(cgroup, limits)
        out_read, out_write = os.pipe2(os.O_CLOEXEC)
        err_read, err_write = os.pipe2(os.O_CLOEXEC)
        stdin_fd = make_memfd("stdin", step.stdin) if step.stdin is not None else os.open(os.devnull, os.O_RDONLY)
        spec_fd = make_memfd("job", json.dumps({"workdir": step.work_dir, "main": main, "args": list(args)}).encode())
        request = {"type": "job", "rlimits": rlimits_for(limits, address_space=step.address_space, nproc=True)}
        exit_report: dict[str, Any] = {}
        try:
            try:
                channel.send(request, (stdin_fd, out_write, err_write, spec_fd))
            finally:
                for fd in (stdin_fd, out_write, err_write, spec_fd):
                    os.close(fd)
            ready, child_pid = channel.receive()
            if ready.get("type") != "ready" or child_pid <= 0:
                raise ProtocolError(f"expected the child's ready, got {ready!r}")
            for procs in cgroup.procs_files:
                Path(procs).write_text(str(child_pid))
            start = time.monotonic()
            channel.send({"type": "go"})

            def on_event() -> bool:
                message, _ = channel.receive()
                if message.get("type") != "exit":
                    raise ProtocolError(f"expected the exit report, got {message!r}")
                exit_report.update(message)
                return True

            seen = collect_output(out_read, err_read, event_fd=channel.sock.fileno(), on_event=on_event,
                                  deadline=start + (limits.wall_s or 10.0), output_bytes=limits.output_bytes or (1 << 20))  # fmt: skip
            if seen.timed_out or seen.overflow:
                cgroup.kill_all()
                if not exit_report:
                    on_event()  # the server reaps the killed child and reports it
        except ProtocolError:
            cgroup.kill_all()
            self.stop()
            return None
        finally:
            os.close(out_read)
            os.close(err_read)
        emptied = cgroup.kill_all()
        anomaly = self._check(baseline)
        raw = RawRun(
            returncode=os.waitstatus_to_exitcode(int(exit_report["status"])),
            stdout=seen.stdout,
            stderr=seen.stderr,
            wall_s=(seen.exited_at or time.monotonic()) - start,
            timed_out=seen.timed_out,
            output_overflow=seen.overflow,
            rusage_cpu_s=float(exit_report.get("cpu_s") or 0.0),
        )
        outcome = StepOutcome.measured(raw, *split_returncode(raw.returncode), None, cgroup, oom_before, emptied)
        outcome.anomaly = anomaly
        return outcome

    def _check(self, baseline: SlotBaseline) -> str | None:
        """Check the slot after a job; on any anomaly the server is stopped (a fresh one serves the next job)."""
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        assert self.cgroup is not None
        alive = self.proc is not None and self.proc.poll() is None
        anomaly = check_slot(baseline, alive, self.cgroup.members())
        self.check_cpu_s = time.process_time() - cpu_started
        self.check_wall_s = time.perf_counter() - wall_started
        if anomaly is not None:
            self.stop()
        return anomaly
