"""Per-language runners: toolchain paths, compile and run commands, calibrated default limits.

Interpreters are the system ones under ``/usr`` because the sandbox uid must be able to execute them (the root pyenv
Python lives under ``/root``, mode 0700). Default time limits are calibrated on a 2-vCPU machine so that the
G-TransEval reference solutions never time out (``codeeff bench sandbox`` prints their slowest run): each default is
well above the slowest reference run, and compilation has its own limit so JVM / g++ start-up never eats test time.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import subprocess
from dataclasses import dataclass, field

from codeeff.sandbox import cpp_pch, csharp
from codeeff.sandbox.model import Job, Limits, Status

JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
# JVM start-up tuned for many short runs: C1 only, serial GC, class-data sharing, no perf-data file in /tmp.
JAVA_FAST_START_FLAGS = (
    "-Xshare:auto",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-XX:-UsePerfData",
    "-XX:CICompilerCount=1",
    "-Xss8m",
)
# javac flags of every compile path (the warm compile server uses the same). ``-XDstringConcat=inline`` compiles
# ``a + b`` on strings to StringBuilder calls instead of an invokedynamic site: identical strings, but no
# StringConcatFactory bootstrap at run time, which costs ~50 ms of every short test program's ~180 ms JVM run.
JAVAC_FLAGS = ("-proc:none", "-encoding", "UTF-8", "-XDstringConcat=inline")


@dataclass(frozen=True)
class LanguageSpec:
    """How one language is compiled (optionally) and run inside the sandbox.

    ``address_space_limit``: whether RLIMIT_AS is applied (Python, C++). The JVM reserves far more address space than
    it uses, so Java gets heap flags instead, and Node gets ``--max-old-space-size``; the cgroup bounds all of them.
    ``etc_binds``: the few ``/etc`` entries the runtime needs (never ``/etc`` itself).
    """

    name: str
    defaults: Limits
    compiled: bool
    address_space_limit: bool
    version_argv: tuple[str, ...]
    etc_binds: tuple[str, ...] = ()
    extensions: tuple[str, ...] = field(default=())

    def run_argv(self, job: Job, limits: Limits, build_dir: str, work_dir: str) -> list[str]:
        """Command that runs ``job`` inside the sandbox; ``build_dir`` holds compiled output, ``work_dir`` sources."""
        if self.name == "python":
            # -E -s: ignore PYTHON* variables and user site; not -I, which would hide the job's own modules
            return ["/usr/bin/python3", "-E", "-s", "-B", f"{work_dir}/{job.main}", *job.args]
        if self.name == "javascript":
            heap = max(32, int((limits.memory_mb or 512) * 0.75))
            return ["/usr/bin/node", f"--max-old-space-size={heap}", f"{work_dir}/{job.main}", *job.args]
        if self.name == "java":
            return [f"{JAVA_HOME}/bin/java", *java_heap_flags(limits), *JAVA_FAST_START_FLAGS, "-cp", build_dir,
                    java_main_class(job), *job.args]  # fmt: skip
        if self.name == "cpp":
            return [f"{build_dir}/main", *job.args]
        if self.name == "csharp":
            return csharp.run_argv(limits, build_dir, job.args)
        raise ValueError(self.name)

    def compile_argv(self, job: Job, src_dir: str, build_dir: str, pch_dir: str | None = None) -> list[str]:
        """Stand-alone compile command (C++; Java normally goes through the warm compile server). ``pch_dir``: a
        folder holding the precompiled ``bits/stdc++.h`` (:mod:`.cpp_pch`), searched first for C++ includes."""
        sources = [f"{src_dir}/{name}" for name in sorted(job.files) if name.endswith(self.extensions)]
        if self.name == "cpp":
            pch = ["-I", pch_dir, "-Winvalid-pch"] if pch_dir else []
            return [cpp_pch.GXX, *cpp_pch.CPP_FLAGS, *pch, "-o", f"{build_dir}/main", *sources]
        if self.name == "java":
            return [f"{JAVA_HOME}/bin/javac", *JAVAC_FLAGS, "-d", build_dir, *sources]
        if self.name == "csharp":
            return csharp.compile_argv(sources, build_dir, job.main)
        raise ValueError(f"{self.name} is not compiled")


def java_heap_flags(limits: Limits) -> list[str]:
    """JVM memory flags derived from the memory limit (RLIMIT_AS would break the JVM; the cgroup bounds the rest)."""
    memory = limits.memory_mb or 768
    heap = max(32, memory // 2)
    return [f"-Xmx{heap}m", "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=96m",
            "-XX:CompressedClassSpaceSize=64m"]  # fmt: skip


def java_main_class(job: Job) -> str:
    return job.main.rsplit(".", 1)[0]


# Shared by every language; each spec overrides what differs (CPU, memory, processes, compile limit).
_COMMON_LIMITS = Limits(wall_s=10, memory_mb=512, processes=64, output_bytes=1 << 20, file_size_mb=16, scratch_mb=64)

LANGUAGE_SPECS: dict[str, LanguageSpec] = {
    "python": LanguageSpec(
        name="python",
        defaults=dataclasses.replace(_COMMON_LIMITS, cpu_s=5),
        compiled=False,
        address_space_limit=True,
        version_argv=("/usr/bin/python3", "--version"),
        extensions=(".py",),
    ),
    "javascript": LanguageSpec(
        name="javascript",
        defaults=dataclasses.replace(_COMMON_LIMITS, cpu_s=8),
        compiled=False,
        address_space_limit=False,
        version_argv=("/usr/bin/node", "--version"),
        extensions=(".js", ".mjs", ".cjs"),
    ),
    "java": LanguageSpec(
        name="java",
        defaults=dataclasses.replace(_COMMON_LIMITS, cpu_s=10, memory_mb=768, processes=128, compile_wall_s=60),
        compiled=True,
        address_space_limit=False,
        version_argv=(f"{JAVA_HOME}/bin/java", "-version"),
        etc_binds=("/etc/java-17-openjdk",),
        extensions=(".java",),
    ),
    "cpp": LanguageSpec(
        name="cpp",
        defaults=dataclasses.replace(_COMMON_LIMITS, cpu_s=5, compile_wall_s=60),
        compiled=True,
        address_space_limit=True,
        version_argv=(cpp_pch.GXX, "--version"),
        extensions=(".cpp", ".cc", ".cxx", ".h", ".hpp"),
    ),
    # Mono: the GC heap is capped from the memory limit (csharp.run_argv); RLIMIT_AS would break its reservations.
    "csharp": LanguageSpec(
        name="csharp",
        defaults=dataclasses.replace(_COMMON_LIMITS, cpu_s=5, compile_wall_s=60),
        compiled=True,
        address_space_limit=False,
        version_argv=(csharp.MONO, "--version"),
        etc_binds=(csharp.MONO_ETC,),
        extensions=(".cs",),
    ),
}
# /etc entries every runtime needs: the dynamic loader cache and the alternatives symlinks (/usr/bin/java -> ...).
COMMON_ETC_BINDS = ("/etc/ld.so.cache", "/etc/alternatives")


def spec_for(language: str) -> LanguageSpec:
    try:
        return LANGUAGE_SPECS[language]
    except KeyError:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGE_SPECS)}") from None


def effective_limits(job: Job) -> Limits:
    return (job.limits or Limits()).merged_over(spec_for(job.language).defaults)


@functools.cache
def runtime_version(language: str) -> str:
    """The runtime's version line (part of the cache key: a new JDK or Python re-runs everything)."""
    spec = spec_for(language)
    try:
        done = subprocess.run(spec.version_argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable: {exc}"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else f"exit {done.returncode}"


def build_identity(language: str) -> str | None:
    """Compile settings that are part of the cache key beyond the runtime version: C++'s flags and precompiled-header
    scheme (:func:`.cpp_pch.identity`); None for the other languages."""
    return cpp_pch.identity() if language == "cpp" else None


# Runtime messages that mean "a resource limit was hit", for programs that die with a plain non-zero exit.
_MEMORY_PATTERNS = re.compile(
    r"^MemoryError|java\.lang\.OutOfMemoryError: (Java heap space|GC overhead|Metaspace|Requested array size)"
    r"|std::bad_alloc|System\.OutOfMemoryException|JavaScript heap out of memory|Cannot allocate memory|Could not reserve enough space",
    re.MULTILINE,
)
_FILE_SIZE_PATTERNS = re.compile(r"File too large|\[Errno 27\]|EFBIG|No space left on device|\[Errno 28\]|ENOSPC")


def classify_exit(language: str, exit_code: int, stderr: str) -> tuple[Status, str]:
    """Status of a test program that exited normally with ``exit_code`` (exit-code contract + limit messages)."""
    if exit_code == 0:
        return Status.PASSED, ""
    if exit_code == 3:
        return Status.FAILED, "wrong answer (exit 3)"
    if exit_code == 4 and language in ("python", "javascript"):
        return Status.COMPILE_ERROR, "the test harness reported that the candidate does not parse (exit 4)"
    tail = stderr[-4000:]
    if _MEMORY_PATTERNS.search(tail):
        return Status.MEMORY, "the runtime reported an out-of-memory error"
    if _FILE_SIZE_PATTERNS.search(tail):
        return Status.FILE_SIZE, "file size or scratch-space limit reached"
    return Status.RUNTIME_ERROR, f"exit code {exit_code}"
