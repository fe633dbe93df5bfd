"""The warm Python runner's in-sandbox half: a fork server that runs each job in a fresh child of a warm interpreter.

codeeff imports this file only for its frame functions; its source is handed to ``/usr/bin/python3 -c`` inside a
bwrap sandbox (the system interpreter, standard library only) by :mod:`codeeff.sandbox.warm_python`. Why: a
G-TransEval test program spends ~25 of its ~48 ms starting Python and importing the modules every harness imports;
forking an interpreter that already imported them costs ~1 ms.

The server never sees a job's contents: the host (root) writes the job's files into the root-owned scratch
directories it bound into this sandbox, and the job's name, main file and arguments go to the forked child alone
(a memfd only the forked child reads). So no byte of one job is ever in the server's memory, and nothing a job
can do to the server's memory reaches the next job. The server only forks, reports exits, and keeps no state. What
a job can change about the server or the sandbox (rlimits, scheduling, files, IPC objects) the host checks after
every job, and replaces the server when anything changed (see ``warm_python.py``).

Protocol (one Unix stream socket, fd number in argv[1]): frames of a 4-byte big-endian length + JSON. Host -> server:
``job`` (rlimits only, with four descriptors: stdin, stdout, stderr and a memfd holding the workdir, main file and
arguments, which only the child reads) and ``go`` (read by the child);
server -> host: ``hello`` once, ``exit`` per job; child -> host: ``ready`` (the kernel attaches the child's pid,
translated to the host's pid namespace).
"""

import array
import atexit
import ctypes
import json
import os
import signal
import socket
import struct
import sys
import types

LIBC = ctypes.CDLL(None)
PR_SET_DUMPABLE = 4

# Modules that test harnesses and typical generated programs import; importing them once is the point of the server.
PRELOAD = (
    "collections", "typing", "itertools", "functools", "math", "copy", "json", "traceback", "re", "heapq",
    "bisect", "string", "random", "operator", "dataclasses", "enum", "io", "threading", "fractions", "decimal",
    "statistics", "datetime", "textwrap", "importlib", "resource",
)  # fmt: skip
HEADER = struct.Struct("!I")
CREDENTIALS = struct.Struct("iII")  # struct ucred: pid, uid, gid
CHILD_SETUP_FAILED = 112


def send_frame(sock, message, fds=()):
    data = json.dumps(message).encode()
    payload = HEADER.pack(len(data)) + data
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sent = sock.sendmsg([payload], ancillary)
    if sent < len(payload):
        sock.sendall(payload[sent:])


def recv_exact(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock):
    """(message, descriptors, sender pid) or (None, descriptors, 0) at end of stream.

    The sender pid is the kernel's (SCM_CREDENTIALS, translated into the receiver's pid namespace) and is present
    only when the receiving socket has SO_PASSCRED set, as the host's end has; 0 otherwise.
    """
    fds = array.array("i")
    pid = 0
    space = socket.CMSG_SPACE(16 * fds.itemsize) + socket.CMSG_SPACE(CREDENTIALS.size)
    header, ancillary, _flags, _addr = sock.recvmsg(HEADER.size, space)
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(data) >= CREDENTIALS.size:
            pid = CREDENTIALS.unpack(data[: CREDENTIALS.size])[0]
    if not header:
        return None, list(fds), 0
    if len(header) < HEADER.size:
        rest = recv_exact(sock, HEADER.size - len(header))
        if rest is None:
            return None, list(fds), 0
        header += rest
    body = recv_exact(sock, HEADER.unpack(header)[0])
    return (None if body is None else json.loads(body)), list(fds), pid


def exit_code_of(exc):
    """The process exit code Python itself gives an uncaught ``SystemExit``."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(str(code) + "\n")
    except Exception:
        pass
    return 1


def run_script(path):
    """Run ``path`` as ``__main__`` the way ``python3 path`` would, then shut down as the interpreter does."""
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__cached__ = None
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    code = 0
    try:
        with open(path, "rb") as handle:
            source = handle.read()
        exec(compile(source, path, "exec"), module.__dict__)
    except SystemExit as exc:
        code = exit_code_of(exc)
    except BaseException as exc:
        # Drop this function's frame, so the traceback reads exactly as ``python3 path`` prints it.
        exc.__traceback__ = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        sys.excepthook(type(exc), exc, exc.__traceback__)
        code = -signal.SIGINT if isinstance(exc, KeyboardInterrupt) else 1
    finalize(code)


def finalize(code):
    """Interpreter shutdown: wait for non-daemon threads, run atexit handlers, flush (120 if flushing fails)."""
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException:
            pass
    try:
        atexit._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            if code == 0:
                code = 120
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)


def child(sock, request, fds):
    """The job's process: report, wait for the host's go (given once it sits in the run cgroup), then become the job.

    The job's workdir, main file and arguments come in a memfd (the fourth descriptor) that only this process reads.
    """
    try:
        send_frame(sock, {"type": "ready"})
        go, _fds, _pid = recv_frame(sock)
        if not go or go.get("type") != "go":
            os._exit(CHILD_SETUP_FAILED)
        stdin, stdout, stderr, spec_fd = fds
        with os.fdopen(spec_fd, "rb") as handle:
            spec = json.loads(handle.read())
        for target, fd in enumerate((stdin, stdout, stderr)):
            os.dup2(fd, target)
        os.closerange(3, 1 << 16)
        os.setsid()
        LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # the job may own its /proc entries; the server stays non-dumpable
        import resource

        for resource_id, soft, hard in request["rlimits"]:
            resource.setrlimit(resource_id, (soft, hard))
        workdir = spec["workdir"]
        os.chdir(workdir)
        script = os.path.join(workdir, spec["main"])
        sys.argv = [script, *spec["args"]]
        sys.path[0] = workdir
        sys.path_importer_cache.clear()
        import importlib

        importlib.invalidate_caches()
    except BaseException:
        os._exit(CHILD_SETUP_FAILED)
    run_script(script)


def serve(sock):
    while True:
        request, fds, _pid = recv_frame(sock)
        if request is None:
            return
        if request.get("type") != "job" or len(fds) != 4:  # a "go" for a child that died before reading it
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            child(sock, request, fds)
        for fd in fds:
            os.close(fd)
        _pid, status, usage = os.wait4(pid, 0)
        send_frame(sock, {"type": "exit", "status": status, "cpu_s": usage.ru_utime + usage.ru_stime,
                          "maxrss_kb": usage.ru_maxrss})  # fmt: skip


def main():
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no /proc/<pid>/mem, no ptrace for same-uid jobs
    sock = socket.socket(fileno=int(sys.argv[1]))
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    sys.stdout.flush()
    send_frame(sock, {"type": "hello", "python": sys.version.split()[0]})
    serve(sock)


if __name__ == "__main__":  # run by ``python3 -c``; imported by the host only for the frame functions
    main()
