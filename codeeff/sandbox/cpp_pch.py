"""A precompiled ``<bits/stdc++.h>`` for the C++ compile step, built once per machine and compiler.

Parsing ``bits/stdc++.h`` is most of a short C++ program's compile time (about 2.0 s of 2.5 s on a 2-vCPU machine,
0.4 s with the precompiled header). The header is compiled with exactly the flags of every C++ compile
(:data:`CPP_FLAGS`) into ``<sandbox base>/cpp-pch-<digest>/bits/stdc++.h.gch``; the digest covers the compiler's
version line and the flags, so a new compiler or new flags build a new file and never reuse an old one. Next to it
sits ``bits/stdc++.h``, a one-line ``#include_next`` of the system header: GCC uses the ``.gch`` for
``#include <bits/stdc++.h>`` when it matches the compile (``-Winvalid-pch`` says when it does not) and otherwise
reads that file, which reads the real header, so an unusable ``.gch`` changes speed, never results.

The folder is built by root (the harness), published with one rename, mode 0755/0644, and bound read-only into the
compile step only (at :data:`PCH_MOUNT`); programs never see it, and neither compile nor run uid can write it.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path

from codeeff.sandbox.server_build import build_once

GXX = "/usr/bin/g++"
CPP_FLAGS = ("-std=c++20", "-O1", "-pipe")
PCH_MOUNT = "/pch"  # where the compile step sees the folder (bwrap bind; the process backend translates the path)
PCH_SCHEME = 2  # bump when the layout, the wrapper header or the build command changes
_ARTIFACT = "bits/stdc++.h.gch"


@functools.cache
def compiler_version() -> str:
    """``g++ --version``'s first line (empty when g++ cannot run)."""
    try:
        done = subprocess.run([GXX, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = done.stdout.strip().splitlines()
    return lines[0] if done.returncode == 0 and lines else ""


def identity() -> str:
    """What the precompiled header depends on: scheme, compiler version line and compile flags."""
    return f"pch-scheme:{PCH_SCHEME}|{compiler_version()}|{' '.join(CPP_FLAGS)}"


def wrapper_header() -> str:
    """The text of ``bits/stdc++.h`` in the folder; its first line names the identity (so it is part of the digest)."""
    return f"// codeeff precompiled-header wrapper; {identity()}\n#include_next <bits/stdc++.h>\n"


def _build_argv(staging: Path) -> list[str]:
    """Run in ``staging``: the header is named by a relative path, so compiler notes that trace an include through
    the precompiled header name ``bits/stdc++.h``, never the machine's staging folder."""
    return [GXX, *CPP_FLAGS, "-x", "c++-header", "-o", "bits/stdc++.h.gch", "bits/stdc++.h"]


@functools.cache
def pch_dir(base: Path) -> Path | None:
    """The machine's precompiled-header folder under ``base`` (built on first use), or None when it cannot be built
    (no g++, a compiler error): compiles then simply go without it."""
    if not compiler_version():
        return None
    try:
        return build_once(base, "cpp-pch", wrapper_header(), "bits/stdc++.h", _ARTIFACT, _build_argv)
    except (OSError, subprocess.SubprocessError):
        return None


def artifact_digest(folder: Path) -> str:
    """sha256 of the ``.gch`` in ``folder`` (tests check that no job changed it)."""
    digest = hashlib.sha256()
    with open(folder / _ARTIFACT, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
