#!/usr/bin/env bash
# Debian packages examday and its tests use on the host, installed only when
# missing (a warm machine spends no time here):
#   docker.io docker-compose  the engine and compose v1 (ensure-docker.sh starts it)
#   debootstrap               the sandbox's base image without a registry
#   postgresql-15 redis-server dnsmasq-base   real services for the probe tests
#   chromium                  renders the printable checklist in tests
#   wrk jq bind9-dnsutils     baselines for the benchmarks in bench/ (dig: the shell pre-exam baseline)
#   openssh-server            sshd for the remote-engine tests (ssh:// [docker] host); never started
#                             as a service: the tests run their own on loopback and stop it
set -euo pipefail
packages=(docker.io docker-compose debootstrap postgresql-15 redis-server dnsmasq-base
          chromium wrk jq bind9-dnsutils openssh-client openssh-server openssl curl)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "[install-packages] missing: ${missing[*]}; run as root or install them" >&2
    exit 1
fi
echo "[install-packages] installing ${missing[*]}" >&2
apt-get update -q >/dev/null
# Services these packages would start on install are not ours to run: keep them down.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
