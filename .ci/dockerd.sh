#!/usr/bin/env bash
# Private Docker daemon for the sandbox's Docker-backend tests: `.ci/dockerd.sh start|stop|status`.
# Installs nothing (CI installs docker.io first). Starts dockerd with its own socket, data root and exec root, no
# iptables and no bridge (containers run with network_mode=none anyway), waits until it answers, and builds the tiny
# local image `codeeff-sandbox:latest` with `docker import` (no registry is reachable): an empty rootfs whose /usr
# (and a few /etc entries) the backend binds read-only from the host at run time.
set -euo pipefail

SOCK=${CODEEFF_DOCKER_SOCK:-/run/codeeff-docker.sock}
STATE=${CODEEFF_DOCKER_STATE:-/var/lib/codeeff-docker}
EXEC_ROOT=/run/codeeff-docker
PIDFILE=/run/codeeff-docker.pid
LOG=/tmp/codeeff-dockerd.log
IMAGE=${CODEEFF_DOCKER_IMAGE:-codeeff-sandbox:latest}
export DOCKER_HOST="unix://$SOCK"

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

build_image() {
    if docker image inspect "$IMAGE" >/dev/null 2>&1; then return 0; fi
    local root
    root=$(mktemp -d)
    mkdir -p "$root"/{usr,etc,tmp,sandbox,src,build,proc,dev,sys,sbin}
    ln -s usr/bin "$root/bin"
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    chmod 1777 "$root/tmp"
    tar -C "$root" -c . | docker import - "$IMAGE" >/dev/null
    rm -rf "$root"
    echo "dockerd.sh: built image $IMAGE"
}

start() {
    command -v dockerd >/dev/null || { echo "dockerd.sh: dockerd is not installed (apt-get install docker.io)" >&2; exit 1; }
    if ! answers; then
        mkdir -p "$STATE" "$EXEC_ROOT"
        local driver_opts=()
        for attempt in 1 2; do
            nohup dockerd --host "unix://$SOCK" --data-root "$STATE" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
                --iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false \
                "${driver_opts[@]}" >"$LOG" 2>&1 &
            for _ in $(seq 1 60); do
                answers && break
                kill -0 $! 2>/dev/null || break
                sleep 0.5
            done
            answers && break
            echo "dockerd.sh: dockerd did not answer (attempt $attempt); log tail:" >&2
            tail -5 "$LOG" >&2 || true
            kill "$!" 2>/dev/null || true
            sleep 1
            driver_opts=(--storage-driver=vfs)  # overlayfs may be unavailable inside VMs/containers
        done
        answers || { echo "dockerd.sh: giving up; see $LOG" >&2; exit 1; }
    fi
    build_image
    echo "dockerd.sh: dockerd $(docker version --format '{{.Server.Version}}') answers at $DOCKER_HOST"
}

stop() {
    if [ -f "$PIDFILE" ]; then
        local pid
        pid=$(cat "$PIDFILE")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        rm -f "$PIDFILE"
    fi
    echo "dockerd.sh: stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) answers && echo "answers at $DOCKER_HOST" || { echo "not running"; exit 1; } ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
