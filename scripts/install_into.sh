# Sourced by setup.sh and test_transformers_range.sh. `install_into VENV PIP-INSTALL-ARGS...` installs into VENV with
# uv when it is on PATH (the same pins, several times faster), else with pip (CODEEFF_USE_PIP=1 forces pip).
# uv does not read pip's configuration, so pip's find-links and extra index (environment or pip.conf) are passed on.
install_into() {
    local venv=$1
    shift
    if command -v uv >/dev/null 2>&1 && [ -z "${CODEEFF_USE_PIP:-}" ]; then
        local options=() links extra
        links=${PIP_FIND_LINKS:-$("$venv/bin/python" -m pip config get global.find-links 2>/dev/null || true)}
        extra=${PIP_EXTRA_INDEX_URL:-}
        for link in $links; do options+=(--find-links "$link"); done
        for url in $extra; do options+=(--extra-index-url "$url"); done
        [ -z "$extra" ] || options+=(--index-strategy unsafe-best-match)
        uv pip install --quiet --python "$venv/bin/python" "${options[@]}" "$@"
    else
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@"
    fi
}
