"""C# in the sandbox: toolchain discovery and a warm compile server per slot (Mono's ``mcs`` in-process).

Toolchain: Mono (``/usr/bin/mono`` + ``/usr/lib/mono/4.5/mcs.exe``, Debian ``mono-mcs mono-runtime``). A ``dotnet``
SDK on ``PATH`` is detected and reported by ``codeeff sandbox doctor``, but programs are compiled and run with Mono
only; without Mono the ``csharp`` language is unavailable and doctor says how to install it.

A cold ``mcs`` costs ~0.3 s of Mono start-up and JIT per program. The compile server is a small C# program (compiled
once per machine into the sandbox base dir) that loads ``mcs.exe`` and calls its embedding entry point
``Mono.CSharp.CompilerCallableEntryPoint.InvokeCompiler`` (which resets the compiler's static state after each call)
for every request: ~60 ms per program once warm. It speaks the Java compile server's protocol (one request line
``OUT_DIR \\t SOURCE...``; reply ``OK <n>`` / ``ERR <n>`` and n bytes of diagnostics), so the same client
(:class:`~codeeff.sandbox.javac_server.JavacServer`) drives it. It runs inside the slot's compile sandbox (compile
uid, its own cgroup); a compile that exceeds its limit kills it, and it is restarted on the next request.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codeeff.sandbox.model import Limits, Result, Status
from codeeff.sandbox.server_build import build_once

if TYPE_CHECKING:
    from codeeff.sandbox.local import LocalBackend

MONO = "/usr/bin/mono"
MCS_EXE = "/usr/lib/mono/4.5/mcs.exe"
MONO_ETC = "/etc/mono"
# Assemblies every program may use beyond mcs's defaults (mscorlib, System, System.Xml, System.Core): BigInteger and
# ``dynamic`` (the C# runtime binder).
MCS_FLAGS = ("-nologo", "-warn:0", "-optimize+", "-target:exe", "-r:System.Numerics.dll", "-r:Microsoft.CSharp.dll")
OUTPUT_NAME = "main.exe"
SERVER_NAME = "CodeeffCscServer"
SERVER_LIMITS = Limits(memory_mb=1024, processes=64, file_size_mb=64)

SERVER_SOURCE = r"""
using System;
using System.IO;
using System.Reflection;
using System.Text;

// One request per line on stdin: OUT_FILE \t SOURCE_1 \t SOURCE_2 ...; reply "OK <n>\n" or "ERR <n>\n" and n bytes.
static class CodeeffCscServer {
    static int Main(string[] args) {
        Assembly mcs = Assembly.LoadFrom(args[0]);
        MethodInfo invoke = mcs.GetType("Mono.CSharp.CompilerCallableEntryPoint").GetMethod("InvokeCompiler");
        string[] flags = new string[args.Length - 1];
        Array.Copy(args, 1, flags, 0, flags.Length);
        Stream stdout = Console.OpenStandardOutput();
        TextReader stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        string line;
        while ((line = stdin.ReadLine()) != null) {
            string[] parts = line.Split('\t');
            string[] argv = new string[flags.Length + parts.Length];
            flags.CopyTo(argv, 0);
            argv[flags.Length] = "-out:" + parts[0];
            Array.Copy(parts, 1, argv, flags.Length + 1, parts.Length - 1);
            StringWriter diagnostics = new StringWriter();
            bool ok;
            try {
                ok = (bool) invoke.Invoke(null, new object[] { argv, diagnostics });
            } catch (Exception error) {
                ok = false;
                diagnostics.Write("compiler crashed: " + error);
            }
            byte[] text = Encoding.UTF8.GetBytes(diagnostics.ToString());
            byte[] head = Encoding.ASCII.GetBytes((ok ? "OK " : "ERR ") + text.Length + "\n");
            stdout.Write(head, 0, head.Length);
            stdout.Write(text, 0, text.Length);
            stdout.Flush();
        }
        return 0;
    }
}
"""


def mono_available() -> str | None:
    """None when Mono can compile and run C#, else why not (with the install command)."""
    missing = [path for path in (MONO, MCS_EXE) if not os.path.exists(path)]
    if missing:
        return f"Mono is not installed ({', '.join(missing)} missing): apt-get install -y mono-mcs mono-runtime"
    return None


def toolchain_report() -> dict[str, Any]:
    """What ``codeeff sandbox doctor`` prints about C#: the toolchain used and any ``dotnet`` found beside it."""
    dotnet = shutil.which("dotnet")
    unavailable = mono_available()
    report: dict[str, Any] = {
        "toolchain": None if unavailable else "mono",
        "compiler": None if unavailable else f"{MCS_EXE} (warm compile server per slot)",
        "runtime": None if unavailable else MONO,
        "dotnet": dotnet,
    }
    if unavailable:
        report["reason"] = unavailable
    if dotnet:
        report["dotnet_note"] = "dotnet found; the sandbox compiles and runs C# with Mono"
    return report


def run_argv(limits: Limits, build_dir: str, args: tuple[str, ...]) -> list[str]:
    """Mono command of a compiled program; the GC heap cap turns a memory bomb into OutOfMemoryException."""
    heap = max(32, int((limits.memory_mb or 512) * 0.75))
    return [MONO, f"--gc-params=max-heap-size={heap}m", f"{build_dir}/{OUTPUT_NAME}", *args]


def entry_flags(main: str, sources: list[str]) -> list[str]:
    """Entry point of a multi-file job: the class named after the main file (``GteDriver.cs`` -> ``GteDriver``), so
    a ``Main`` in another file cannot take over; a one-file job lets mcs find its ``Main``."""
    if len(sources) < 2:
        return []
    return [f"-main:{main.rsplit('.', 1)[0]}"]


def compile_argv(sources: list[str], build_dir: str, main: str) -> list[str]:
    """A one-shot mcs command (the Docker backend; local backends use the warm server)."""
    names = [source.rsplit("/", 1)[-1] for source in sources]
    return [MONO, MCS_EXE, *MCS_FLAGS, *entry_flags(main, names), f"-out:{build_dir}/{OUTPUT_NAME}", *sources]


def server_dir(base: Path) -> Path:
    """Compile the server once per machine (flock'ed), world-readable, and return its directory."""
    return build_once(
        base, "csc-server", SERVER_SOURCE, f"{SERVER_NAME}.cs", f"{SERVER_NAME}.exe",
        lambda staging: [MONO, MCS_EXE, "-nologo", f"-out:{staging / SERVER_NAME}.exe", str(staging / f"{SERVER_NAME}.cs")],
    )  # fmt: skip


class CscCompiler:
    """A slot's warm C# compile server: started lazily in its own cgroup, stopped with the backend."""

    def __init__(self, backend: LocalBackend):
        from codeeff.sandbox.cgroups import create_slot_cgroup
        from codeeff.sandbox.javac_server import JavacServer

        self.backend = backend
        self.cgroup = None
        if backend.is_root:
            self.cgroup, _ = create_slot_cgroup(f"codeeff-slot-{backend.slot.index}-csc")
            if self.cgroup is not None:
                self.cgroup.kill_all()
        self.server = JavacServer(self._start, self._stop)

    def compile(self, job_dir: Path, sources: list[str], timeout: float, main: str) -> Result | None:
        """None on success (``job_dir/build/main.exe`` written), else the compile_error / sandbox_error result."""
        from codeeff.sandbox.javac_server import CompileTimeout

        missing = mono_available()
        if missing is not None:
            return Result(Status.SANDBOX_ERROR, detail=missing)
        inside = f"{self.backend._javac_work_prefix()}/{job_dir.name}"
        try:
            ok, diagnostics = self.server.compile(
                f"{inside}/build/{OUTPUT_NAME}",
                [*entry_flags(main, sources), *(f"{inside}/src/{s}" for s in sources)],
                timeout,
            )
        except CompileTimeout:
            return Result(Status.COMPILE_ERROR, detail=f"mcs timed out after {timeout:g}s")
        except RuntimeError as exc:
            return Result(Status.SANDBOX_ERROR, detail=str(exc).replace("Java compile server", "C# compile server"))
        except (OSError, subprocess.SubprocessError) as exc:  # the server itself could not be built or started
            return Result(Status.SANDBOX_ERROR, detail=f"C# compile server: {type(exc).__name__}: {exc}")
        if not ok:
            return Result(Status.COMPILE_ERROR, stderr=diagnostics, detail="mcs reported errors")
        return None

    def close(self) -> None:
        self.server.close()

    def _start(self) -> subprocess.Popen:
        from codeeff.sandbox.local import RUN_ENV, Step

        backend = self.backend
        directory = server_dir(backend.base)
        if self.cgroup is not None:
            self.cgroup.kill_all()
            self.cgroup.configure(pids_max=SERVER_LIMITS.processes or 64,
                                  memory_bytes=(SERVER_LIMITS.memory_mb or 1024) << 20)  # fmt: skip
        step = Step(
            argv=[MONO, f"/server/{SERVER_NAME}.exe", MCS_EXE, *MCS_FLAGS],
            limits=SERVER_LIMITS,
            cgroup=self.cgroup,
            uid=backend.slot.compile_uid if backend.is_root else None,
            address_space=False,
            binds=[(str(directory), "/server", False), (str(backend.slot.work_dir), "/work", True)],
            work_dir="/work",
            env={**RUN_ENV, "HOME": "/tmp"},
            etc_binds=(MONO_ETC,),
        )
        return backend.spawn_server(step, "csc-server.log")

    def _stop(self, proc: subprocess.Popen) -> None:
        from codeeff.sandbox.local import stop_server

        stop_server(proc, self.cgroup)
