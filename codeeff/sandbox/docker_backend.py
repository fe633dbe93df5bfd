"""Docker backend (``pip install 'codeeff[docker]'``): one hardened container per step (compile, run).

Hardening: no network, non-root uid, read-only root, size-limited tmpfs ``/tmp``, ``/dev/shm`` and work dir, all
capabilities dropped, no-new-privileges, pids / memory / CPU limits, rlimits, an init process (so the program is not PID 1 and
default signal actions work), capped json-file logs and a capped attach stream. The image can be tiny: the host's
``/usr`` (plus the few ``/etc`` entries runtimes need) is bound read-only at run time. Images are configurable per
language (``CODEEFF_DOCKER_IMAGE``, ``CODEEFF_DOCKER_IMAGE_<LANG>``); ``.ci/dockerd.sh`` builds the default one.
Peak memory and CPU time are not read back (``None``): the daemon does not report them after the container exits.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from codeeff.sandbox.languages import COMMON_ETC_BINDS, classify_exit, effective_limits, spec_for
from codeeff.sandbox.launch import signal_name
from codeeff.sandbox.local import COMPILE_LIMITS, RUN_ENV
from codeeff.sandbox.model import BackendInfo, Job, Limits, Result, Status
from codeeff.sandbox.seccomp import docker_profile

DEFAULT_IMAGE = "codeeff-sandbox:latest"
# Outside every bwrap slot's uids (61000 + 0..63, 61500 + 0..63): RLIMIT_NPROC is counted per kernel uid, so a
# container sharing a slot's uid could starve that slot's programs of processes.
CONTAINER_UID = int(os.environ.get("CODEEFF_SANDBOX_UID_BASE", "61000")) + 1000


def image_for(language: str) -> str:
    return os.environ.get(f"CODEEFF_DOCKER_IMAGE_{language.upper()}") or os.environ.get(
        "CODEEFF_DOCKER_IMAGE", DEFAULT_IMAGE
    )


PRIVATE_SOCKET = "/run/codeeff-docker.sock"  # started by .ci/dockerd.sh


def _client(timeout: int = 30):
    """``DOCKER_HOST`` if set; else the default socket; else the private daemon of ``.ci/dockerd.sh``."""
    import docker

    if not os.environ.get("DOCKER_HOST") and not os.path.exists("/var/run/docker.sock"):
        if os.path.exists(PRIVATE_SOCKET):
            return docker.DockerClient(base_url=f"unix://{PRIVATE_SOCKET}", timeout=timeout)
    return docker.from_env(timeout=timeout)


def probe() -> BackendInfo:
    try:
        import docker  # noqa: F401
    except ImportError:
        return BackendInfo("docker", False, "the docker SDK is not installed (pip install 'codeeff[docker]')")
    try:
        client = _client(10)
        client.ping()
        version = client.version().get("Version", "?")
    except Exception as exc:
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        return BackendInfo("docker", False, f"no Docker daemon answers at {host}: {type(exc).__name__}: {exc}")
    try:
        client.images.get(image_for("python"))
    except Exception:
        return BackendInfo(
            "docker",
            False,
            f"Docker {version} is up but image {image_for('python')} is missing (.ci/dockerd.sh builds it)",
        )
    isolation = {
        "level": "full",
        "safe_for_hostile_code": True,
        "net": True,
        "pid": True,
        "mount": True,
        "ipc": True,
        "uid": True,
        "cgroup": True,
        "seccomp": True,
        "rlimits": True,
    }
    return BackendInfo("docker", True, f"Docker {version}, image {image_for('python')}", isolation)


class DockerBackend:
    name = "docker"

    def __init__(self, isolation: dict[str, Any]):
        self.isolation = isolation
        self.client = _client(60)
        self.root = Path(tempfile.mkdtemp(prefix="codeeff-docker-"))
        os.chmod(self.root, 0o711)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def execute(self, job: Job, *, one_shot: bool = True) -> Result:  # every Docker run is one-shot
        spec = spec_for(job.language)
        limits = effective_limits(job)
        job_dir = Path(tempfile.mkdtemp(dir=self.root))
        os.chmod(job_dir, 0o755)
        src, build = job_dir / "src", job_dir / "build"
        src.mkdir(mode=0o755)
        build.mkdir(mode=0o755)
        os.chown(build, CONTAINER_UID, CONTAINER_UID)
        for name, text in job.files.items():
            (src / name).write_text(text)
            os.chmod(src / name, 0o644)
        try:
            compile_s = None
            if spec.compiled:
                started = time.monotonic()
                failure = self._compile(job, limits, src, build)
                compile_s = time.monotonic() - started
                if failure is not None:
                    failure.compile_s = compile_s
                    return self._finish(failure)
            argv = spec.run_argv(job, limits, "/build", "/src")
            if job.stdin is not None:  # job file names never start with "."; the image has no shell of its own
                (src / ".stdin").write_text(job.stdin)
                os.chmod(src / ".stdin", 0o644)
                argv = ["/usr/bin/sh", "-c", 'exec "$@" < /src/.stdin', "sh", *argv]
            result = self._run(job.language, argv, limits, {str(src): "/src", str(build): "/build"})
            result.compile_s = compile_s
            return self._finish(result)
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)

    def _finish(self, result: Result) -> Result:
        result.backend = self.name
        result.isolation = dict(self.isolation)
        return result

    def _compile(self, job: Job, limits: Limits, src: Path, build: Path) -> Result | None:
        spec = spec_for(job.language)
        argv = spec.compile_argv(job, "/src", "/build")
        timeout = limits.compile_wall_s or 60.0
        step_limits = Limits(**{**COMPILE_LIMITS.as_dict(), "wall_s": timeout})
        result = self._run(job.language, argv, step_limits, {str(src): "/src", str(build): "/build:rw"})
        if result.status is Status.PASSED:
            return None
        if result.status is Status.SANDBOX_ERROR:
            return result
        detail = f"compiler timed out after {timeout:g}s" if result.status is Status.TIMEOUT else "compiler errors"
        return Result(Status.COMPILE_ERROR, exit_code=result.exit_code, stderr=result.stderr + result.stdout,
                      detail=detail)  # fmt: skip

    def _run(self, language: str, argv: list[str], limits: Limits, mounts: dict[str, str]) -> Result:
        from docker.types import LogConfig, Ulimit

        spec = spec_for(language)
        volumes = {
            p: {"bind": p, "mode": "ro"} for p in ("/usr", *COMMON_ETC_BINDS, *spec.etc_binds) if Path(p).exists()
        }
        for host, inside in mounts.items():
            path, _, mode = inside.partition(":")
            volumes[host] = {"bind": path, "mode": mode or "ro"}
        scratch = limits.scratch_mb or 64
        cpu = math.ceil(limits.cpu_s or 10)
        ulimits = [Ulimit(name="cpu", soft=cpu, hard=cpu + 1), Ulimit(name="core", soft=0, hard=0),
                   Ulimit(name="nofile", soft=256, hard=256)]  # fmt: skip
        if limits.file_size_mb:
            ulimits.append(Ulimit(name="fsize", soft=limits.file_size_mb << 20, hard=limits.file_size_mb << 20))
        memory = f"{limits.memory_mb or 512}m"
        try:
            container = self.client.containers.create(
                image_for(language),
                command=argv,
                user=f"{CONTAINER_UID}:{CONTAINER_UID}",
                network_mode="none",
                read_only=True,
                tmpfs={"/tmp": f"rw,size={scratch}m,mode=1777", "/sandbox": f"rw,size={scratch}m,mode=1777"},
                shm_size=f"{scratch}m",  # /dev/shm, like every writable mount, within the scratch limit
                volumes=volumes,
                working_dir="/sandbox",
                environment={**RUN_ENV, "HOME": "/sandbox"},
                cap_drop=["ALL"],
                security_opt=["no-new-privileges", f"seccomp={docker_profile()}"],
                pids_limit=limits.processes or 64,
                mem_limit=memory,
                memswap_limit=memory,
                nano_cpus=int(1e9),
                init=True,
                ulimits=ulimits,
                log_config=LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
                detach=True,
            )
        except Exception as exc:
            return Result(Status.SANDBOX_ERROR, detail=f"docker create failed: {type(exc).__name__}: {exc}")
        try:
            return self._attach_and_wait(container, limits, language)
        finally:
            try:
                container.remove(force=True)
            except Exception:
                pass

    def _attach_and_wait(self, container: Any, limits: Limits, language: str) -> Result:
        cap = limits.output_bytes or (1 << 20)
        buffers = {"stdout": bytearray(), "stderr": bytearray()}
        overflow = threading.Event()
        stream = container.attach(stdout=True, stderr=True, stream=True, logs=True, demux=True)
        started = time.monotonic()
        container.start()

        def pump() -> None:
            """Read the attach stream to its end (the daemon blocks if nobody drains it), keeping only ``cap`` bytes."""
            try:
                for out, err in stream:
                    for key, chunk in (("stdout", out), ("stderr", err)):
                        if chunk and not overflow.is_set():
                            buffers[key] += chunk
                            if len(buffers[key]) > cap:
                                overflow.set()
                                try:
                                    container.kill()
                                except Exception:
                                    pass
            except Exception:
                return

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        timed_out = False
        try:
            status = container.wait(timeout=limits.wall_s or 10)
        except Exception:
            timed_out = True
            try:
                container.kill()
            except Exception:
                pass
            try:
                status = container.wait(timeout=60)
            except Exception as exc:
                return Result(Status.SANDBOX_ERROR, detail=f"container did not stop after kill: {exc}")
        wall = time.monotonic() - started
        reader.join(timeout=0.5)
        container.reload()
        state = container.attrs.get("State", {})
        code = int(status.get("StatusCode", -1))
        result = Result(
            status=Status.SANDBOX_ERROR,
            stdout=bytes(buffers["stdout"][:cap]).decode(errors="replace"),
            stderr=bytes(buffers["stderr"][:cap]).decode(errors="replace"),
            wall_s=round(wall, 4),
        )
        if overflow.is_set():
            result.status, result.detail, result.signal = Status.OUTPUT_LIMIT, f"output exceeded {cap} bytes", "SIGKILL"
        elif timed_out:
            result.status, result.detail, result.signal = (
                Status.TIMEOUT,
                f"wall-clock limit {limits.wall_s:g}s exceeded",
                "SIGKILL",
            )
        elif state.get("OOMKilled"):
            result.status, result.detail = Status.MEMORY, f"out of memory (container limit {limits.memory_mb} MiB)"
        elif 128 < code <= 128 + 64:
            name = signal_name(code - 128)
            result.signal = name
            if name == "SIGXCPU":
                result.status, result.detail = Status.CPU_LIMIT, f"CPU-time limit {limits.cpu_s:g}s exceeded"
            elif name == "SIGXFSZ":
                result.status, result.detail = Status.FILE_SIZE, "file-size limit exceeded"
            else:
                result.status, result.detail = Status.KILLED, f"terminated by {name}"
        elif code < 0:
            result.detail = f"container ended without an exit code: {state}"
        else:
            result.exit_code = code
            result.status, result.detail = classify_exit(language, code, result.stderr)
        return result
