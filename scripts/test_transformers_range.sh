#!/usr/bin/env bash
# Run the adapter tests against each given transformers version, each in its own fresh venv.
#   scripts/test_transformers_range.sh 5.17.0 5.25.0        (the lowest and highest version pyproject.toml allows)
# VENV_ROOT (default .venvs-transformers) holds one venv per version; TORCH_SPEC (default torch) is what pip installs
# for torch first (e.g. torch==2.13.0 to match the lock). Exit status: non-zero if any version fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${VENV_ROOT:-.venvs-transformers}"
torch_spec="${TORCH_SPEC:-torch}"
[ "$#" -gt 0 ] || { echo "usage: $0 VERSION [VERSION ...]" >&2; exit 2; }
status=0
for version in "$@"; do
    venv="$root/transformers-$version"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "$torch_spec"
    "$venv/bin/pip" install -q -e ".[dev]" "transformers==$version"
    echo "== transformers $version =="
    if "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/adapters tests/adapters_transforms; then
        echo "== transformers $version: passed =="
    else
        echo "== transformers $version: FAILED ==" >&2
        status=1
    fi
done
exit "$status"
