"""Shared machinery of the local backends (bwrap and the unsafe process fallback): one slot per pool worker.

A job goes through at most two sandboxed steps, each with its own limits: compile (java through the slot's warm
compile server, cpp through a one-shot g++ with the machine's precompiled header) and run. After every step the
step's cgroup is emptied with kill-all, so nothing a program started outlives its job. Subclasses only say how a command is wrapped (``_wrap``).
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeeff.sandbox import cpp_pch
from codeeff.sandbox.cgroups import SlotCgroup, create_slot_cgroup
from codeeff.sandbox.csharp import CscCompiler
from codeeff.sandbox.javac_server import SERVER_CLASS, SERVER_JVM_FLAGS, CompileTimeout, JavacServer, server_classes_dir
from codeeff.sandbox.languages import JAVA_HOME, LanguageSpec, classify_exit, effective_limits, spec_for
from codeeff.sandbox.launch import RawRun, make_memfd, make_preexec, run_collect, split_returncode
from codeeff.sandbox.model import Job, Limits, Result, Status
from codeeff.sandbox.slots import Slot, claim_slot, sandbox_base_dir

RUN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": "/tmp"}
COMPILE_LIMITS = Limits(cpu_s=120, memory_mb=1536, processes=256, output_bytes=1 << 20, file_size_mb=256,
                        scratch_mb=512)  # fmt: skip
JAVAC_SERVER_LIMITS = Limits(memory_mb=1536, processes=256, file_size_mb=64)


@dataclass
class Step:
    """One sandboxed command: what to run, where its files go, which cgroup and uid it uses."""

    argv: list[str]
    limits: Limits
    cgroup: SlotCgroup | None
    uid: int | None
    address_space: bool
    files: dict[str, bytes] = field(default_factory=dict)  # placed in the work dir (read-only for bwrap)
    binds: list[tuple[str, str, bool]] = field(default_factory=list)  # (host path, sandbox path, writable)
    stdin: bytes | None = None
    work_dir: str = "/sandbox"
    env: dict[str, str] = field(default_factory=dict)
    etc_binds: tuple[str, ...] = ()


@dataclass
class StepOutcome:
    raw: RawRun
    exit_code: int | None
    signal: str | None
    oom: bool
    cpu_s: float | None
    peak_memory: int | None
    setup_error: str | None = None
    anomaly: str | None = None  # warm runs: what the host's check of the slot after the job found

    @classmethod
    def measured(
        cls,
        raw: RawRun,
        exit_code: int | None,
        sig: str | None,
        setup_error: str | None,
        cgroup: SlotCgroup | None,
        oom_before: int,
        emptied: bool,
    ) -> StepOutcome:
        """The outcome of a step whose ``cgroup`` has been emptied (``emptied``): OOM, CPU and peak memory from it."""
        cpu = cgroup.cpu_seconds() if cgroup is not None else None
        return cls(
            raw=raw,
            exit_code=exit_code,
            signal=sig,
            oom=cgroup is not None and cgroup.oom_kills() > oom_before,
            cpu_s=cpu if cpu is not None else raw.rusage_cpu_s,
            peak_memory=cgroup.peak_memory() if cgroup is not None else None,
            setup_error=setup_error if emptied else "the run's cgroup could not be emptied",
        )


def prepare_cgroup(cgroup: SlotCgroup | None, limits: Limits) -> int:
    """Configure ``cgroup`` for one step's limits and zero its counters; returns its OOM-kill count so far."""
    if cgroup is None:
        return 0
    cgroup.configure(pids_max=limits.processes or 64, memory_bytes=(limits.memory_mb or 512) << 20)
    cgroup.reset_counters()
    return cgroup.oom_kills()


def rlimits_for(limits: Limits, *, address_space: bool, nproc: bool = True) -> list[tuple[int, int, int]]:
    """RLIMIT triples (resource, soft, hard). CPU soft < hard so programs first get SIGXCPU (-> cpu_limit).

    ``nproc`` only when the program has its own uid: RLIMIT_NPROC counts every process of the uid, so applied to the
    harness's own uid it would fail on the harness's processes rather than bound the program's.
    """
    out: list[tuple[int, int, int]] = [(resource.RLIMIT_CORE, 0, 0), (resource.RLIMIT_NOFILE, 256, 256)]
    if limits.cpu_s:
        soft = math.ceil(limits.cpu_s)
        out.append((resource.RLIMIT_CPU, soft, soft + 1))
    if limits.file_size_mb:
        size = limits.file_size_mb << 20
        out.append((resource.RLIMIT_FSIZE, size, size))
    if limits.processes and nproc:
        out.append((resource.RLIMIT_NPROC, limits.processes, limits.processes))
    if address_space and limits.memory_mb:
        size = limits.memory_mb << 20
        out.append((resource.RLIMIT_AS, size, size))
    return out


def stop_server(proc: subprocess.Popen, cgroup: Any) -> None:
    """Kill a compile server and whatever it left in its cgroup."""
    try:
        proc.kill()
    except ProcessLookupError:
        pass
    proc.wait()
    if cgroup is not None:
        cgroup.kill_all()


class LocalBackend:
    """Base of the bwrap and process backends. Created inside a pool worker; claims a slot for its lifetime."""

    name = "local"
    safe_for_hostile_code = True

    def __init__(self, isolation: dict[str, Any]):
        self.isolation = isolation
        self.is_root = os.geteuid() == 0
        self.base = sandbox_base_dir()
        self.slot: Slot = claim_slot(self.base)
        self.cgroups: dict[str, SlotCgroup | None] = {}
        for purpose in ("run", "compile", "javac"):
            cgroup, _ = create_slot_cgroup(f"codeeff-slot-{self.slot.index}-{purpose}") if self.is_root else (None, "")
            if cgroup is not None:
                cgroup.kill_all()  # a crashed previous owner may have left something behind
            self.cgroups[purpose] = cgroup
        self._javac: JavacServer | None = None
        self._csc: CscCompiler | None = None  # the slot's warm C# compile server, started on the first C# job
        self._counter = 0

    # -- subclass hooks -------------------------------------------------------------------------------------------
    def _wrap(
        self, step: Step, host_work: Path | None, extra_fds: list[int], status_extra: dict[str, Any] | None = None
    ) -> tuple[list[str], str | None]:
        """Return (argv to execute on the host, cwd); may append fds that must be passed to the child and open a
        side channel for the exit status (noted in ``status_extra``, read back by ``_after_launch``)."""
        raise NotImplementedError

    def _exit_status(self, raw: RawRun, extra: dict[str, Any]) -> tuple[int | None, str | None, str | None]:
        """(exit code, signal name, setup error) of the sandboxed program."""
        if raw.returncode is None:
            return None, None, raw.start_error
        return (*split_returncode(raw.returncode), None)

    def _run_warm(self, job: Job, step: Step) -> StepOutcome | None:
        """Hook: run a Python job in a warm interpreter; None means "run it one-shot" (the default)."""
        return None

    def _warm_report(self) -> dict[str, Any]:
        """Hook: what the warm runner reports about its last job (the host's slot-check cost)."""
        return {}

    # -- public -----------------------------------------------------------------------------------------------------
    def execute(self, job: Job, *, one_shot: bool = False) -> Result:
        """Run ``job``; ``one_shot`` never uses the warm Python server (the worker's retry of a sandbox_error)."""
        spec = spec_for(job.language)
        limits = effective_limits(job)
        build_dir: Path | None = None
        compile_s: float | None = None
        try:
            if spec.compiled:
                started = time.monotonic()
                build_dir, failure = self._compile(job, spec, limits)
                compile_s = time.monotonic() - started
                if failure is not None:
                    failure.compile_s = compile_s
                    return self._finish(failure)
            step = self._run_step(job, spec, limits, build_dir)
            outcome = self._run_warm(job, step) if spec.name == "python" and not one_shot else None
            runner = "warm" if outcome is not None else "one-shot"
            if outcome is None:
                outcome = self.run_step(step, self.cgroups["run"])
            result = self._finish(self._classify(job, limits, outcome))
            result.compile_s = compile_s
            result.isolation["runner"] = runner  # "warm": forked from the slot's warm Python server
            if outcome.anomaly is not None:
                result.anomaly = outcome.anomaly
            if runner == "warm":
                result.isolation.update(self._warm_report())
            return result
        finally:
            if build_dir is not None:
                shutil.rmtree(build_dir.parent, ignore_errors=True)

    def close(self) -> None:
        if self._javac is not None:
            self._javac.close()
        if self._csc is not None:
            self._csc.close()
        for cgroup in self.cgroups.values():
            if cgroup is not None:
                cgroup.kill_all()
        self.slot.release()

    # -- steps --------------------------------------------------------------------------------------------------------
    def _finish(self, result: Result) -> Result:
        result.backend = self.name
        result.isolation = dict(self.isolation)
        return result

    def _run_step(self, job: Job, spec: LanguageSpec, limits: Limits, build_dir: Path | None) -> Step:
        binds = [(str(build_dir), "/build", False)] if build_dir is not None else []
        files = {} if spec.compiled else {name: text.encode() for name, text in job.files.items()}
        argv = spec.run_argv(job, limits, "/build", "/sandbox")
        return Step(
            argv=argv,
            limits=limits,
            cgroup=self.cgroups["run"],
            uid=self.slot.run_uid if self.is_root else None,
            address_space=spec.address_space_limit,
            files=files,
            binds=binds,
            stdin=job.stdin.encode() if job.stdin is not None else None,
            env={**RUN_ENV, "HOME": "/sandbox"},
            etc_binds=spec.etc_binds,
        )

    def _new_build_area(self) -> tuple[Path, Path, Path]:
        """(job dir, src dir, build dir) on the host, build dir writable by the slot's compile uid."""
        self._counter += 1
        job_dir = self.slot.work_dir / f"job-{self._counter}"
        src, build = job_dir / "src", job_dir / "build"
        for path in (job_dir, src, build):
            path.mkdir(mode=0o755)
        if self.is_root:
            os.chown(build, self.slot.compile_uid, self.slot.compile_uid)
        return job_dir, src, build

    def _compile(self, job: Job, spec: LanguageSpec, limits: Limits) -> tuple[Path, Result | None]:
        job_dir, src, build = self._new_build_area()
        for name, text in job.files.items():
            (src / name).write_text(text)
            os.chmod(src / name, 0o644)
        sources = [n for n in sorted(job.files) if n.endswith(spec.extensions) and not n.endswith((".h", ".hpp"))]
        timeout = limits.compile_wall_s or 60.0
        if spec.name == "java":
            return build, self._compile_java(job_dir, sources, timeout)
        if spec.name == "csharp":
            if self._csc is None:
                self._csc = CscCompiler(self)
            return build, self._csc.compile(job_dir, sources, timeout, job.main)
        binds = [(str(job_dir), "/work", True)]
        pch = cpp_pch.pch_dir(self.base) if spec.name == "cpp" else None
        if pch is not None:  # read-only, compile step only (see cpp_pch)
            binds.append((str(pch), cpp_pch.PCH_MOUNT, False))
        step = Step(
            argv=spec.compile_argv(job, "/work/src", "/work/build", cpp_pch.PCH_MOUNT if pch is not None else None),
            limits=Limits(**{**COMPILE_LIMITS.as_dict(), "wall_s": timeout}),
            cgroup=self.cgroups["compile"],
            uid=self.slot.compile_uid if self.is_root else None,
            address_space=False,
            binds=binds,
            work_dir="/work",
            env={**RUN_ENV, "HOME": "/work"},
        )
        outcome = self.run_step(step, self.cgroups["compile"])
        if outcome.setup_error:
            return build, Result(Status.SANDBOX_ERROR, detail=f"compile step: {outcome.setup_error}")
        if outcome.raw.timed_out:
            return build, Result(Status.COMPILE_ERROR, stderr=_text(outcome.raw.stderr),
                                 detail=f"compiler timed out after {timeout:g}s")  # fmt: skip
        if outcome.exit_code != 0:
            text = _text(outcome.raw.stderr) + _text(outcome.raw.stdout)
            why = f"compiler exit {outcome.exit_code}" if outcome.signal is None else f"compiler {outcome.signal}"
            return build, Result(Status.COMPILE_ERROR, exit_code=outcome.exit_code, stderr=text, detail=why)
        return build, None

    def _compile_java(self, job_dir: Path, sources: list[str], timeout: float) -> Result | None:
        if self._javac is None:
            self._javac = JavacServer(self._start_javac_server, self._stop_javac_server)
        inside = f"{self._javac_work_prefix()}/{job_dir.name}"
        try:
            ok, diagnostics = self._javac.compile(f"{inside}/build", [f"{inside}/src/{s}" for s in sources], timeout)
        except CompileTimeout:
            return Result(Status.COMPILE_ERROR, detail=f"javac timed out after {timeout:g}s")
        except RuntimeError as exc:
            return Result(Status.SANDBOX_ERROR, detail=str(exc))
        if not ok:
            return Result(Status.COMPILE_ERROR, stderr=diagnostics, detail="javac reported errors")
        return None

    def _javac_work_prefix(self) -> str:
        """Where the slot work dir appears to the compile server (bound at /work inside bwrap)."""
        return "/work"

    def _start_javac_server(self) -> subprocess.Popen:
        classes = server_classes_dir(self.base)
        cgroup = self.cgroups["javac"]
        if cgroup is not None:
            cgroup.kill_all()
            cgroup.configure(pids_max=JAVAC_SERVER_LIMITS.processes or 256,
                             memory_bytes=(JAVAC_SERVER_LIMITS.memory_mb or 1536) << 20)  # fmt: skip
        step = Step(
            argv=[f"{JAVA_HOME}/bin/java", *SERVER_JVM_FLAGS, "-cp", "/server", SERVER_CLASS],
            limits=JAVAC_SERVER_LIMITS,
            cgroup=cgroup,
            uid=self.slot.compile_uid if self.is_root else None,
            address_space=False,
            binds=[(str(classes), "/server", False), (str(self.slot.work_dir), "/work", True)],
            work_dir="/work",
            env={**RUN_ENV, "HOME": "/tmp"},
            etc_binds=("/etc/java-17-openjdk",),
        )
        # Build dirs are chowned to the compile uid; the rest of the slot dir stays read-only for the server.
        return self.spawn_server(step, "javac-server.log")

    def _stop_javac_server(self, proc: subprocess.Popen) -> None:
        stop_server(proc, self.cgroups["javac"])

    def spawn_server(self, step: Step, log_name: str) -> subprocess.Popen:
        """Start a long-lived sandboxed compile server (stdin/stdout pipes; stderr appended to the slot's log file)."""
        extra_fds: list[int] = []
        argv, cwd = self._wrap(step, None, extra_fds)
        log = open(self.slot.work_dir / log_name, "ab")  # noqa: SIM115 (owned by the Popen below)
        try:
            return subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=step.env,
                cwd=cwd,
                pass_fds=tuple(extra_fds),
                preexec_fn=self._preexec(step),
                close_fds=True,
            )
        finally:
            log.close()
            for fd in extra_fds:
                os.close(fd)

    def _preexec(self, step: Step, extra=None):
        """Child-side set-up of a step; ``extra`` runs last (the process fallback loads its seccomp filter there)."""
        cgroup_procs = step.cgroup.procs_files if step.cgroup is not None else ()
        return make_preexec(
            cgroup_procs=cgroup_procs,
            rlimits=rlimits_for(step.limits, address_space=step.address_space, nproc=step.uid is not None),
            uid=step.uid,
            gid=step.uid,
            new_session=not self.uses_namespaces,
            extra=extra,
        )

    uses_namespaces = True

    def run_step(self, step: Step, cgroup: SlotCgroup | None) -> StepOutcome:
        """Run one step in ``cgroup`` (configured, counters reset, emptied afterwards)."""
        limits = step.limits
        oom_before = prepare_cgroup(cgroup, limits)
        extra_fds: list[int] = []
        host_work: Path | None = None
        stdin_fd = make_memfd("stdin", step.stdin) if step.stdin is not None else None
        try:
            if not self.uses_namespaces:
                host_work = self._host_scratch(step)
            status_extra: dict[str, Any] = {}
            argv, cwd = self._wrap(step, host_work, extra_fds, status_extra)
            raw = run_collect(
                argv,
                env=step.env,
                wall_s=limits.wall_s or 10.0,
                output_bytes=limits.output_bytes or (1 << 20),
                preexec_fn=self._preexec(step),
                kill=lambda proc: self._kill(proc, cgroup),
                stdin_fd=stdin_fd,
                pass_fds=extra_fds,
                cwd=cwd,
            )
            self._after_launch(status_extra)
        finally:
            for fd in extra_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if stdin_fd is not None:
                os.close(stdin_fd)
        emptied = cgroup.kill_all() if cgroup is not None else True
        if host_work is not None:
            shutil.rmtree(host_work, ignore_errors=True)
        exit_code, sig, setup_error = self._exit_status(raw, status_extra)
        return StepOutcome.measured(raw, exit_code, sig, setup_error, cgroup, oom_before, emptied)

    def _after_launch(self, status_extra: dict[str, Any]) -> None:
        """Hook: read the side channel."""

    def _host_scratch(self, step: Step) -> Path:
        raise NotImplementedError

    def _kill(self, proc: subprocess.Popen, cgroup: SlotCgroup | None) -> None:
        try:
            proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        if cgroup is not None:
            cgroup.kill_all()

    # -- classification ---------------------------------------------------------------------------------------------
    def _classify(self, job: Job, limits: Limits, outcome: StepOutcome) -> Result:
        raw = outcome.raw
        result = Result(
            status=Status.SANDBOX_ERROR,
            exit_code=outcome.exit_code,
            signal=outcome.signal,
            stdout=_text(raw.stdout),
            stderr=_text(raw.stderr),
            wall_s=round(raw.wall_s, 4),
            cpu_s=None if outcome.cpu_s is None else round(outcome.cpu_s, 4),
            peak_memory_bytes=outcome.peak_memory,
        )
        cpu_limit = limits.cpu_s or math.inf
        if outcome.setup_error:
            result.detail = f"sandbox setup failed: {outcome.setup_error}; stderr: {result.stderr[-500:]}"
        elif raw.output_overflow:
            result.status, result.detail = Status.OUTPUT_LIMIT, f"output exceeded {limits.output_bytes} bytes"
        elif raw.timed_out:
            result.status, result.detail = Status.TIMEOUT, f"wall-clock limit {limits.wall_s:g}s exceeded"
        elif outcome.oom:
            result.status, result.detail = Status.MEMORY, f"out of memory (cgroup limit {limits.memory_mb} MiB)"
        elif outcome.signal == "SIGXCPU" or (
            outcome.signal == "SIGKILL" and outcome.cpu_s is not None and outcome.cpu_s >= cpu_limit - 0.05
        ):
            result.status, result.detail = Status.CPU_LIMIT, f"CPU-time limit {limits.cpu_s:g}s exceeded"
        elif outcome.signal == "SIGXFSZ":
            result.status, result.detail = Status.FILE_SIZE, f"file-size limit {limits.file_size_mb} MiB exceeded"
        elif outcome.signal is not None:
            status, detail = classify_exit(job.language, 1, result.stderr)
            if status in (Status.MEMORY, Status.FILE_SIZE):
                result.status, result.detail = status, f"{detail} ({outcome.signal})"
            else:
                result.status, result.detail = Status.KILLED, f"terminated by {outcome.signal}"
        else:
            result.status, result.detail = classify_exit(job.language, outcome.exit_code or 0, result.stderr)
        return result


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
