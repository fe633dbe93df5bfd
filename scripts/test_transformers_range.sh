#!/usr/bin/env bash
# `make test-transformers-range`: the given tests (default: the adapter tests) against the lowest and the highest
# transformers pyproject.toml allows. Each end gets its own venv under $RANGE_VENVS (default
# /tmp/codeeff-transformers-range): requirements.lock with only transformers swapped (transformers' own
# dependencies may move with it; the versions are printed), plus codeeff editable. Exit 0 only when both ends pass.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ROOT=${RANGE_VENVS:-${TMPDIR:-/tmp}/codeeff-transformers-range}
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/model_adapters)
# shellcheck source=scripts/install_into.sh
source scripts/install_into.sh
read -r low high < <("$PYTHON" scripts/transformers_range.py)
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 DISABLE_MULTIPROC=1

venv_for() {
    local version=$1 venv="$ROOT/transformers-$1" requirements stamp
    requirements=$(grep -v '^transformers==' requirements.lock)
    stamp="$venv/.stamp-$(printf '%s\n%s\n%s\n' "$requirements" "$version" "$PWD" | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        rm -rf "$venv"
        "$PYTHON" -m venv "$venv"
        printf '%s\n' "$requirements" >"$venv/requirements.txt"
        install_into "$venv" -r "$venv/requirements.txt" >&2
        # A separate step, so transformers' own dependencies (huggingface-hub, tokenizers) may move with it.
        install_into "$venv" "transformers==$version" >&2
        install_into "$venv" --no-deps --no-build-isolation -e . >&2
        touch "$stamp"
    fi
    echo "$venv"
}

failed=()
for version in "$low" "$high"; do
    venv=$(venv_for "$version")
    echo "transformers-range: transformers $("$venv/bin/python" -c 'import transformers; print(transformers.__version__)')," \
        "tokenizers $("$venv/bin/python" -c 'import tokenizers; print(tokenizers.__version__)')," \
        "huggingface-hub $("$venv/bin/python" -c 'import huggingface_hub; print(huggingface_hub.__version__)'): ${tests[*]}"
    rc=0
    "$venv/bin/python" -m pytest -q -p no:cacheprovider "${tests[@]}" || rc=$?
    echo "transformers-range: transformers $version: pytest exit $rc"
    [ "$rc" = 0 ] || failed+=("$version (exit $rc)")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "transformers-range: FAILED on ${failed[*]}" >&2
    exit 1
fi
echo "transformers-range: passed on $low and $high"
