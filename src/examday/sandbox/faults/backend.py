"""Faults in how the backend runs: its env knobs (crashes, sessions answering 500, rate limits,
sign-ins, leaked connections), its uvicorn flags and workers, its limits and log rotation."""

from __future__ import annotations

import time

import yaml

from examday.facts.processes import uvicorn_worker_pids
from examday.probes.docker import DockerProbe
from examday.probes.errors import ProbeError
from examday.sandbox.errors import SandboxError
from examday.sandbox.faults.base import Fault, Undo, WORKER_REPLACEMENT_SECONDS, restart_backend, set_backend_knobs, set_compose_vars
from examday.sandbox.layout import CONTAINERS
from examday.sandbox.lifecycle import Sandbox


def _sessions_500(sandbox: Sandbox) -> Undo:
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_SESSIONS_500": "true"})
    return {}


def _sessions_500_cleared(sandbox: Sandbox, _undo: Undo) -> None:
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_SESSIONS_500": None})


def _handler_crashes(sandbox: Sandbox) -> Undo:
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_CRASH_SHARE": "0.1"})
    return {}


def _handler_crashes_cleared(sandbox: Sandbox, _undo: Undo) -> None:
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_CRASH_SHARE": None})


def _rate_limit_fails_closed(sandbox: Sandbox) -> Undo:
    # Not a platform setting: with Redis down, every limited route answers 429.
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_RATE_LIMIT_FAILS_CLOSED": "true"})
    return {}


def _rate_limit_fails_open(sandbox: Sandbox, _undo: Undo) -> None:
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_RATE_LIMIT_FAILS_CLOSED": None})


PROXY_FLAG_VARS = ("EXAMDAY_UVICORN_PROXY_HEADERS_FLAG", "EXAMDAY_UVICORN_FORWARDED_ALLOW_IPS_FLAG")


def _no_proxy_headers(sandbox: Sandbox) -> Undo:
    # uvicorn as the platform ships it: no --proxy-headers/--forwarded-allow-ips, so the
    # client address is the proxy's and every student shares one login bucket.
    set_compose_vars(sandbox, {name: "" for name in PROXY_FLAG_VARS})
    restart_backend(sandbox)
    return {}


def _proxy_headers_back(sandbox: Sandbox, _undo: Undo) -> None:
    set_compose_vars(sandbox, {name: None for name in PROXY_FLAG_VARS})
    restart_backend(sandbox)


def _no_log_rotation(sandbox: Sandbox) -> Undo:
    # json-file with no size limit, as the platform ships it. Docker has no "unlimited"
    # value for max-size, so the option must go: the backend is recreated from a copy of
    # the compose file without its logging options (sandbox/.state/docker-compose.faulted.yml).
    config = yaml.safe_load(sandbox.paths.compose_file.read_text())
    config["services"]["backend"]["logging"] = {"driver": "json-file"}
    sandbox.paths.faulted_compose_file.write_text(
        "# Written by the no-log-rotation fault: the backend without log rotation.\n"
        + yaml.safe_dump(config, sort_keys=False))
    restart_backend(sandbox)
    return {}


def _log_rotation_back(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.paths.faulted_compose_file.unlink(missing_ok=True)
    restart_backend(sandbox)


LIMIT_VARS = ("EXAMDAY_BACKEND_MEM_LIMIT", "EXAMDAY_BACKEND_CPUS", "EXAMDAY_FRONTEND_MEM_LIMIT",
              "EXAMDAY_FRONTEND_CPUS")


def _no_limits(sandbox: Sandbox) -> Undo:
    # 0 means "no limit" to Docker: backend and frontend recreated without memory or CPU caps,
    # as the platform's current compose file has them.
    set_compose_vars(sandbox, {name: "0" for name in LIMIT_VARS})
    sandbox.compose.up("backend", "frontend")
    sandbox.wait_healthy(sandbox.platform(), services=("backend", "frontend"))
    return {}


def _limits_back(sandbox: Sandbox, _undo: Undo) -> None:
    set_compose_vars(sandbox, {name: None for name in LIMIT_VARS})
    sandbox.compose.up("backend", "frontend")
    sandbox.wait_healthy(sandbox.platform(), services=("backend", "frontend"))


def _uvicorn_worker_pids(sandbox: Sandbox) -> list[int]:
    """Worker pids as seen inside the backend container (the pids `kill` there understands)."""
    docker = DockerProbe(timeout=10)
    try:
        return uvicorn_worker_pids(docker.processes_from_proc(CONTAINERS["backend"]))
    except ProbeError as error:
        raise SandboxError(f"cannot list the backend's processes: {error}", "is the backend running?") from None
    finally:
        docker.close()


def _backend_worker_killed(sandbox: Sandbox) -> Undo:
    workers = _uvicorn_worker_pids(sandbox)
    if not workers:
        raise SandboxError("no uvicorn worker processes found in the backend", "is the backend running?")
    victim = workers[0]
    killed_at = int(time.time())
    sandbox.platform().exec_checked("backend", ["kill", "-KILL", str(victim)])
    return {"killed_pid": victim, "workers_before": len(workers), "killed_at": killed_at}


def _backend_workers_restored(sandbox: Sandbox, undo: Undo) -> None:
    # uvicorn's master replaces a dead worker itself within a second or so: give it that
    # time, and restart the container (which cuts every other worker's requests) only if not.
    # Cleared means the replacement has started up too: a worker still starting when Redis
    # goes away fails its start-up ping, and uvicorn's master then stops the whole backend.
    deadline = time.monotonic() + WORKER_REPLACEMENT_SECONDS
    backend = sandbox.platform().require("backend")
    while not (len(_uvicorn_worker_pids(sandbox)) >= int(undo["workers_before"])
               and b"Application startup complete." in backend.logs(since=int(undo.get("killed_at", 0)))):
        if time.monotonic() > deadline:
            backend.restart(timeout=20)
            sandbox.wait_healthy(sandbox.platform(), services=("backend",))
            return
        time.sleep(0.5)


def _sign_ins_lost_on_restart(sandbox: Sandbox) -> Undo:
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_SIGN_INS_LOST_ON_RESTART": "true"})
    return {}


def _sign_ins_kept(sandbox: Sandbox, _undo: Undo) -> None:
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_SIGN_INS_LOST_ON_RESTART": None})


def _connections_leak(sandbox: Sandbox) -> Undo:
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_LEAK_CONNECTIONS_AFTER_MS": str(LEAK_AFTER_MS)})
    return {}


def _connections_kept(sandbox: Sandbox, _undo: Undo) -> None:
    set_backend_knobs(sandbox, {"SANDBOX_FAULT_LEAK_CONNECTIONS_AFTER_MS": None})


LEAK_AFTER_MS = 100  # healthy queries take a few ms; the drill's frozen database holds them up to 150 ms


def _single_worker(sandbox: Sandbox) -> Undo:
    set_compose_vars(sandbox, {"EXAMDAY_BACKEND_WORKERS": "1"})
    restart_backend(sandbox)
    return {}


def _workers_back(sandbox: Sandbox, _undo: Undo) -> None:
    set_compose_vars(sandbox, {"EXAMDAY_BACKEND_WORKERS": None})
    restart_backend(sandbox)


CATALOG: tuple[Fault, ...] = (
    Fault("no-limits", "backend and frontend run without memory and CPU limits (as the platform ships)",
              _no_limits, _limits_back),
    Fault("no-log-rotation", f"{CONTAINERS['backend']} logs to json-file without max-size (as the platform ships)",
              _no_log_rotation, _log_rotation_back),
    Fault("no-proxy-headers", "uvicorn without --proxy-headers/--forwarded-allow-ips (as the platform ships): "
              "every client has the proxy's address, one login bucket for all", _no_proxy_headers,
              _proxy_headers_back),
    Fault("handler-crashes", "about 10% of API requests raise: 500 without X-Request-ID, status_code null",
              _handler_crashes, _handler_crashes_cleared),
    Fault("sessions-500", "creating a session and reading a timed session answer 500 (the platform's "
              "current commit)", _sessions_500, _sessions_500_cleared),
    Fault("backend-worker-killed", "one uvicorn worker process killed with SIGKILL",
              _backend_worker_killed, _backend_workers_restored),
    Fault("rate-limit-fails-closed", "SANDBOX_FAULT_RATE_LIMIT_FAILS_CLOSED: with Redis down, limited "
              "routes answer 429", _rate_limit_fails_closed, _rate_limit_fails_open),
    Fault("sign-ins-lost-on-restart", "SANDBOX_FAULT_SIGN_INS_LOST_ON_RESTART: tokens are signed with a "
              "key new at each start of the backend, so a restart signs every student out",
              _sign_ins_lost_on_restart, _sign_ins_kept),
    Fault("connections-leak-after-stall", f"SANDBOX_FAULT_LEAK_CONNECTIONS_AFTER_MS={LEAK_AFTER_MS}: a request "
              "whose query waited longer never gives its connection back, so a stalled database leaves the "
              "pools used up", _connections_leak, _connections_kept),
    Fault("single-worker", "the backend runs one uvicorn worker (UVICORN_WORKERS=1)", _single_worker,
              _workers_back),
)
