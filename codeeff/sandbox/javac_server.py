"""A warm javac per pool slot: one JVM compiles every Java sample of the slot (in-process ``javax.tools`` API).

A cold ``javac`` costs ~1.3 s of JVM start-up and JIT warm-up per sample; G-TransEval's ``java Test.java`` approach
pays that inside the 5 s test limit. Here compilation is separate from running and, once warm, costs tens of ms.
The server runs inside the slot's compile sandbox; a compile that exceeds its time limit kills the server (it is
restarted on the next request). Its own class is compiled once per machine into the sandbox base dir.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from codeeff.sandbox.languages import JAVA_HOME
from codeeff.sandbox.server_build import build_once

SERVER_CLASS = "CodeeffCompileServer"
SERVER_SOURCE = r"""
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

// Protocol, one request per line on stdin: OUT_DIR \t SOURCE_1 \t SOURCE_2 ...
// Reply on stdout: "OK <n>\n" or "ERR <n>\n", then n bytes of UTF-8 compiler diagnostics.
public class CodeeffCompileServer {
    public static void main(String[] args) throws Exception {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StandardJavaFileManager files = compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split("\t");
            StringWriter diagnostics = new StringWriter();
            boolean ok;
            try {
                Iterable<? extends JavaFileObject> units =
                        files.getJavaFileObjects(Arrays.copyOfRange(parts, 1, parts.length));
                List<String> options = List.of("-d", parts[0], "-proc:none", "-encoding", "UTF-8", "-Xlint:none", "-XDstringConcat=inline");
                ok = compiler.getTask(diagnostics, files, null, options, null, units).call();
            } catch (Throwable error) {
                ok = false;
                diagnostics.write("compiler crashed: " + error);
            }
            byte[] text = diagnostics.toString().getBytes(StandardCharsets.UTF_8);
            out.write(((ok ? "OK " : "ERR ") + text.length + "\n").getBytes(StandardCharsets.UTF_8));
            out.write(text);
            out.flush();
        }
    }
}
"""
SERVER_JVM_FLAGS = ("-Xmx512m", "-XX:+UseSerialGC", "-Xshare:auto", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1")
RESTART_EVERY = 2000  # compiles; bounds any slow growth of the server's heap or metaspace


class CompileTimeout(Exception):
    """The compile server did not answer within the compile time limit (it has been killed)."""


def server_classes_dir(base: Path) -> Path:
    """Compile the server's own class once per machine (flock'ed), world-readable, and return its directory."""
    return build_once(
        base, "javac-server", SERVER_SOURCE, f"{SERVER_CLASS}.java", f"{SERVER_CLASS}.class",
        lambda staging: [f"{JAVA_HOME}/bin/javac", "-d", str(staging), str(staging / f"{SERVER_CLASS}.java")],
    )  # fmt: skip


class JavacServer:
    """Client for one compile server process; ``start`` is a callable that launches it (already sandboxed)."""

    def __init__(self, start: Callable[[], subprocess.Popen], stop: Callable[[subprocess.Popen], None]):
        self._start, self._stop = start, stop
        self._proc: subprocess.Popen | None = None
        self._compiles = 0

    def compile(self, out_dir: str, sources: list[str], timeout_s: float) -> tuple[bool, str]:
        """(success, diagnostics); raises CompileTimeout (server killed) or RuntimeError (server died)."""
        if self._proc is None or self._proc.poll() is not None or self._compiles >= RESTART_EVERY:
            self.close()
            self._proc = self._start()
            self._compiles = 0
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(("\t".join([out_dir, *sources]) + "\n").encode())
            proc.stdin.flush()
            header = self._read(proc, None, time.monotonic() + timeout_s)
            status, _, length = header.decode().strip().partition(" ")
            text = self._read(proc, int(length), time.monotonic() + timeout_s)
        except (BrokenPipeError, ValueError, RuntimeError) as exc:
            stderr = self._stderr_tail()
            self.close()
            raise RuntimeError(f"the Java compile server died ({exc}); stderr: {stderr}") from exc
        except CompileTimeout:
            self.close()
            raise
        self._compiles += 1
        return status == "OK", text.decode("utf-8", errors="replace")

    def _read(self, proc: subprocess.Popen, length: int | None, deadline: float) -> bytes:
        """Read one line (length None) or exactly ``length`` bytes from the server, before ``deadline``."""
        fd = proc.stdout.fileno()
        buffer = self._pending if hasattr(self, "_pending") else b""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                if length is None and b"\n" in buffer:
                    line, _, self._pending = buffer.partition(b"\n")
                    return line
                if length is not None and len(buffer) >= length:
                    self._pending = buffer[length:]
                    return buffer[:length]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CompileTimeout()
                if selector.select(timeout=remaining):
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        raise RuntimeError("end of output")
                    buffer += chunk

    def _stderr_tail(self) -> str:
        proc = self._proc
        if proc is None or proc.stderr is None:
            return ""
        os.set_blocking(proc.stderr.fileno(), False)
        try:
            return (proc.stderr.read() or b"")[-2000:].decode(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        self._pending = b""
        if self._proc is not None:
            self._stop(self._proc)
            self._proc = None
