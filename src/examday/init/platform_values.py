"""What the platform's own services say in compose: the backend's API prefix, port, worker-count
variable, exam-mode hint and flag cache time; how PostgreSQL and Redis are reached (published, or docker exec)."""

from __future__ import annotations

import re
from typing import Any

from examday.init.compose_model import command, environment, published
from examday.init.found import Discovery, Found

WORKERS_FLAG = re.compile(r"--workers[ =]+\$\{?([A-Z_][A-Z0-9_]*)")
# Variables a server reads for its worker count by itself (uvicorn's and gunicorn's own).
SERVER_WORKER_VARIABLES = ("UVICORN_WORKERS", "WEB_CONCURRENCY")
WORKERS_NAME = re.compile(r"^[A-Z0-9_]*WORKERS$")
FLAG_CACHE_VARIABLE = "SYSTEM_FLAGS_CACHE_TTL_SECONDS"  # each worker's cache of system_flags (platform: 10 s)
DEFAULT_API_PREFIX = "/api/v1"  # the platform's code default, when its compose sets none
# A URL that loads and reaches nothing (.invalid is reserved): written when no port gives one.
NO_URL = "https://public-url-not-found.invalid"


def backend_values(spec: dict[str, Any], raw: dict[str, Any], found: Discovery) -> None:
    """``raw``: the service as the file writes it (compose config interpolates ``${VAR}`` away)."""
    env = environment(spec)
    _api(spec, env, found)
    _workers(spec, raw, env, found)
    reads_env = "EXAM_MODE" in env
    found.values["exam_mode.sources"] = Found(["system_flags"], "the current platform keeps exam mode in the "
                                              "system_flags table" + ("; EXAM_MODE is in the backend's environment: "
                                              'add "env" if your backend reads it' if reads_env else ""), guess=True)
    _flag_cache(env, found)


def _flag_cache(env: dict[str, str], found: Discovery) -> None:
    """How long a worker keeps a flag: PRE-CFG-01 waits that long after a recent change (else the default 10)."""
    try:
        seconds = float(env.get(FLAG_CACHE_VARIABLE, ""))
    except ValueError:
        return
    if 0 <= seconds <= 3600:
        found.values["exam_mode.cache_seconds"] = Found(seconds, f"the backend's environment sets {FLAG_CACHE_VARIABLE}")


def _api(spec: dict[str, Any], env: dict[str, str], found: Discovery) -> None:
    prefix = env.get("API_PREFIX")
    found.values["api.backend_prefix"] = (Found(prefix, "the backend's API_PREFIX") if prefix else
                                          Found(DEFAULT_API_PREFIX, "no API_PREFIX in the backend's environment: "
                                                "the platform's code default", guess=True))
    found.values["api.prefix"] = Found(found.values["api.backend_prefix"].value,
                                       "the backend's prefix: a proxy that adds or strips one (the host Caddy "
                                       "strips /api) changes what clients use", stand_in=True)
    # The platform serves /health and {prefix}/health: under the prefix it is the backend's
    # through any proxy that sends only the prefix to the backend (the root is the frontend's).
    found.values["api.health_path"] = Found("health", "under the prefix: a proxy that sends only its prefix to the "
                                            "backend gives /health to the frontend", guess=True)
    ports = published(spec)
    if ports:
        url = ports[0].url()
        found.values["api.metrics_base_url"] = Found(url, "the backend's published port")
        found.values["api.base_url"] = Found(url, "the backend's published port, not the public URL students use",
                                             stand_in=True)
    else:
        found.values["api.base_url"] = Found(NO_URL, "the backend publishes no port", stand_in=True)


def _workers(spec: dict[str, Any], raw: dict[str, Any], env: dict[str, str], found: Discovery) -> None:
    match = WORKERS_FLAG.search(command(raw))
    named = sorted(key for key in env if WORKERS_NAME.match(key))
    if match:
        found.values["platform.workers_env"] = Found(match.group(1), "the variable in the backend's --workers")
    elif any(key in env for key in SERVER_WORKER_VARIABLES):
        key = next(key for key in SERVER_WORKER_VARIABLES if key in env)
        found.values["platform.workers_env"] = Found(key, f"the backend's environment sets {key}, which the "
                                                     "server reads for its worker count")
    elif named:
        found.values["platform.workers_env"] = Found(named[0], f"the backend's environment sets {named[0]}",
                                                     guess=True)
    else:
        found.lacks("platform.workers_env", "the variable that sets the backend's worker count: neither its "
                    "--workers nor its environment names one")


def datastore_values(spec: dict[str, Any], role: str, found: Discovery) -> None:
    ports = published(spec)
    if not ports:
        found.values[f"{role}.via"] = Found("docker_exec", f"the {role} publishes no port: read in its container")
    else:
        port = ports[0]
        found.values[f"{role}.via"] = Found("tcp", f"the {role} publishes {port.address}:{port.port}")
        if role == "postgres":
            found.values["postgres.port"] = Found(port.port, "its published port")
            if port.address != "127.0.0.1":
                found.values["postgres.host"] = Found(port.address, "the address it is published on")
        else:
            found.values["redis.url"] = Found(f"redis://{port.address}:{port.port}/0", "its published port")
    if role == "postgres":
        env = environment(spec)
        for key, variable in (("postgres.dbname", "POSTGRES_DB"), ("postgres.user", "POSTGRES_USER")):
            if env.get(variable):
                found.values[key] = Found(env[variable], f"the postgres service's {variable}")
