#!/usr/bin/env bash
# Make sure a Docker engine answers on this host: install Debian's docker.io and
# docker-compose when missing, start dockerd when it is not running. Idempotent:
# a second run with a live engine does nothing. Used by `make setup` and .ci/run.
set -euo pipefail

log() { printf '[ensure-docker] %s\n' "$*" >&2; }

engine_answers() { docker info >/dev/null 2>&1; }

install_packages() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        log "missing ${missing[*]}: run this script as root, or install them yourself"
        exit 1
    fi
    log "installing ${missing[*]} from the host's apt sources"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

start_engine() {
    log "starting dockerd (log: /var/log/examday-dockerd.log)"
    # --iptables=false: this host's kernel firewall is not ours to change; published
    # ports on 127.0.0.1 and container-to-container names work without it.
    nohup dockerd --iptables=false >/var/log/examday-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
        engine_answers && { log "engine is up"; return 0; }
        sleep 0.5
    done
    log "dockerd did not answer within 30 s; see /var/log/examday-dockerd.log"
    tail -n 20 /var/log/examday-dockerd.log >&2 || true
    exit 1
}

if engine_answers; then
    exit 0
fi
install_packages
engine_answers || start_engine
