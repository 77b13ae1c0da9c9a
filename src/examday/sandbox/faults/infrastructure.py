"""Faults in what the platform runs on: Redis, backups, the certificate, DNS, monitoring, the
frontend and its previous image."""

from __future__ import annotations

import json
import os
import signal
import time

from examday.sandbox import pki
from examday.sandbox.errors import SandboxError
from examday.sandbox.faults.base import Fault, Undo, restart_backend
from examday.sandbox.layout import API_HOST, CONTAINERS
from examday.sandbox.lifecycle import Sandbox, reload_proxy
from examday.sandbox.timeline import STAGES


def _redis_down(sandbox: Sandbox) -> Undo:
    sandbox.compose.stop("redis")
    return {}


def _redis_up(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.compose.start("redis")
    sandbox.wait_healthy(sandbox.platform(), services=("redis",))


def _stale_backup(sandbox: Sandbox) -> Undo:
    # The host's backup line commented out of the crontab, and every dump three days old:
    # what a silently broken backup cron looks like.
    sandbox.state.write_crontab(STAGES[sandbox.state.stage()].enabled_jobs, backup=False)
    sandbox.platform().exec_checked("ops", [
        "sh", "-c", "for f in /backups/backup_*.dump; do [ -e \"$f\" ] && touch -d '3 days ago' \"$f\"; done; true"])
    return {}


def _fresh_backup(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.state.write_crontab(STAGES[sandbox.state.stage()].enabled_jobs, backup=True)
    sandbox.platform().exec_checked("ops", ["/usr/local/bin/pg-backup.sh"])


def _reissue_api_cert(sandbox: Sandbox, days: int) -> None:
    pki.issue_server_certificate(sandbox.paths.ca_dir, sandbox.paths.certs_dir, API_HOST, days=days)
    reload_proxy(sandbox.platform())


def _cert_expiring(sandbox: Sandbox) -> Undo:
    _reissue_api_cert(sandbox, days=5)
    return {}


def _cert_renewed(sandbox: Sandbox, _undo: Undo) -> None:
    _reissue_api_cert(sandbox, days=pki.NORMAL_LEAF_DAYS)


def _reload_dns(sandbox: Sandbox) -> None:
    sandbox.platform().require("dns").kill(signal="SIGHUP")  # dnsmasq re-reads its hosts file


def _dns_wrong(sandbox: Sandbox) -> Undo:
    # A stale record: still loopback, so nothing can leave this machine by it.
    sandbox.state.write_dns_hosts(api_address="127.0.0.2")
    _reload_dns(sandbox)
    return {}


def _dns_right(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.state.write_dns_hosts()
    _reload_dns(sandbox)


def _ready_degraded(sandbox: Sandbox) -> Undo:
    # A backend deployed without REDIS_REQUIRED (as outside production), and Redis stopped:
    # ready says "degraded" instead of "down".
    sandbox.state.set_platform_env({"REDIS_REQUIRED": "false"})
    restart_backend(sandbox)
    sandbox.compose.stop("redis")
    return {}


def _ready_restored(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.compose.start("redis")
    sandbox.wait_healthy(sandbox.platform(), services=("redis",))
    sandbox.state.set_platform_env({"REDIS_REQUIRED": "true"})
    restart_backend(sandbox)


SCRAPE_WAIT_SECONDS = 30


def _wait_for_scrape(sandbox: Sandbox, job: str, health: str) -> None:
    """Until Prometheus' own view of `job` is `health`: the fault is in effect when the command returns."""
    deadline = time.monotonic() + SCRAPE_WAIT_SECONDS
    while time.monotonic() < deadline:
        _code, answer = sandbox.platform().exec("prometheus", ["curl", "-fsS", "http://localhost:9090/api/v1/targets"])
        try:
            targets = json.loads(answer)["data"]["activeTargets"]
        except (ValueError, KeyError, TypeError):
            targets = []
        if any(t["labels"].get("job") == job and t.get("health") == health for t in targets):
            return
        time.sleep(1)
    raise SandboxError(f"Prometheus did not see its {job} target {health} within {SCRAPE_WAIT_SECONDS} s",
                       "see `examday sandbox logs prometheus`")


def _exporter_down(sandbox: Sandbox) -> Undo:
    sandbox.compose.stop("postgres_exporter")
    _wait_for_scrape(sandbox, "postgres", "down")
    return {}


def _exporter_up(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.compose.start("postgres_exporter")
    sandbox.wait_healthy(sandbox.platform(), services=("postgres_exporter",))
    _wait_for_scrape(sandbox, "postgres", "up")


# A receiver with no integration: Alertmanager accepts alerts and delivers them nowhere,
# the way a receiver whose webhook was deleted from the config does.
SILENT_ALERTMANAGER_CONFIG = """\
route:
  receiver: on-call
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: on-call
"""


def _reload_alertmanager(sandbox: Sandbox) -> None:
    sandbox.platform().exec_checked("alertmanager", ["curl", "-fsS", "-X", "POST", "http://localhost:9093/-/reload"])


def _alertmanager_no_receiver(sandbox: Sandbox) -> Undo:
    sandbox.state.write_alertmanager_config(SILENT_ALERTMANAGER_CONFIG)
    _reload_alertmanager(sandbox)
    return {}


def _alertmanager_receiver_back(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.state.write_alertmanager_config()
    _reload_alertmanager(sandbox)


def _frontend_crashed(sandbox: Sandbox) -> Undo:
    # The container's main process dies (as an out-of-memory kill does): Docker's restart
    # policy starts it again and counts one restart, which stays until the container is recreated.
    container = sandbox.platform().require("frontend")
    os.kill(int(container.attrs["State"]["Pid"]), signal.SIGKILL)
    deadline = time.monotonic() + 60
    while sandbox.platform().state("frontend").restart_count < 1:
        if time.monotonic() > deadline:
            raise SandboxError("the frontend was not restarted by its restart policy",
                               "see `docker inspect exam_platform_frontend`")
        time.sleep(0.5)
    sandbox.wait_healthy(sandbox.platform(), services=("frontend",))
    return {}


def _frontend_recreated(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.compose.up("frontend", recreate=True)
    sandbox.wait_healthy(sandbox.platform(), services=("frontend",))


PREVIOUS_FRONTEND = "examday-sandbox/frontend:previous"
HIDDEN_PREVIOUS_FRONTEND = "examday-sandbox-hidden/frontend:previous"  # another repository: not a rollback


def _previous_image_gone(sandbox: Sandbox) -> Undo:
    # `docker image prune -a` (or a deploy that did not keep the old tag) leaves no image to roll
    # back to. The image is moved to another repository rather than deleted: a rebuild takes minutes.
    images = sandbox.platform().client.images
    images.get(PREVIOUS_FRONTEND).tag(HIDDEN_PREVIOUS_FRONTEND)
    images.remove(PREVIOUS_FRONTEND)  # untags only: the hidden tag keeps the image
    return {}


def _previous_image_back(sandbox: Sandbox, _undo: Undo) -> None:
    images = sandbox.platform().client.images
    images.get(HIDDEN_PREVIOUS_FRONTEND).tag(PREVIOUS_FRONTEND)
    images.remove(HIDDEN_PREVIOUS_FRONTEND)


CATALOG: tuple[Fault, ...] = (
    Fault("frontend-crashed", f"{CONTAINERS['frontend']}'s main process killed: restarted by its "
              "restart policy, RestartCount 1", _frontend_crashed, _frontend_recreated),
    Fault("previous-image-gone", f"no previous frontend image to roll back to ({PREVIOUS_FRONTEND} "
              "pruned)", _previous_image_gone, _previous_image_back),
    Fault("redis-down", f"{CONTAINERS['redis']} stopped", _redis_down, _redis_up),
    Fault("stale-backup", "backups three days old and the backup line commented out of the crontab",
              _stale_backup, _fresh_backup),
    Fault("cert-expiring", f"the certificate for {API_HOST} expires in 5 days", _cert_expiring, _cert_renewed),
    Fault("dns-wrong", f"DNS answers 127.0.0.2 for {API_HOST}", _dns_wrong, _dns_right),
    Fault("prometheus-target-down", f"{CONTAINERS['postgres_exporter']} stopped: Prometheus cannot scrape it",
              _exporter_down, _exporter_up),
    Fault("alertmanager-no-receiver", "Alertmanager's receiver has no integration: alerts go nowhere",
              _alertmanager_no_receiver, _alertmanager_receiver_back),
    Fault("ready-degraded", "REDIS_REQUIRED=false applied and Redis stopped: ready reports degraded",
              _ready_degraded, _ready_restored),
)
