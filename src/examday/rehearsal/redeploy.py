"""A container redeployed on another image and put back: the Rollback Plan's drill, without compose.

`docker compose up -d` after a checkout of the previous tag recreates the service's container
from the same configuration on the previous image. examday does the same through the engine's
API: the running container is stopped and kept aside under another name (never removed), a
twin with its configuration (environment, mounts, ports, limits, health check, labels,
network aliases) is created on the previous image, and rolling forward removes the twin and
starts the original again, untouched. Rehearsal only (examday.rehearsal.guard).
"""

from __future__ import annotations

from typing import Any

KEPT_SUFFIX = "-examday-kept"  # the original container, stopped, while its twin runs
STOP_TIMEOUT_S = 10


def kept_name(name: str) -> str:
    return f"{name}{KEPT_SUFFIX}"


def twin_config(attrs: dict[str, Any], image: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The create body of a twin of the inspected container on `image`, and its networks' endpoints
    (an engine before API 1.44 accepts one network at create: the others are connected after)."""
    config = {key: value for key, value in attrs["Config"].items() if key not in ("Hostname", "Image")}
    config["Image"] = image
    config["HostConfig"] = attrs["HostConfig"]
    short_id = attrs["Id"][:12]
    endpoints = {network: {"Aliases": [a for a in (settings.get("Aliases") or []) if a != short_id],
                           "Links": settings.get("Links")}
                 for network, settings in (attrs["NetworkSettings"].get("Networks") or {}).items()}
    return config, endpoints


def redeploy(client: Any, name: str, image: str) -> str:
    """Run `name` on `image`: the original stopped and renamed aside, a twin started. The twin's id."""
    original = client.containers.get(name)
    config, endpoints = twin_config(original.attrs, image)
    original.stop(timeout=STOP_TIMEOUT_S)
    original.rename(kept_name(name))
    networks = list(endpoints.items())
    if networks:
        config["NetworkingConfig"] = {"EndpointsConfig": dict(networks[:1])}
    created = client.api.create_container_from_config(config, name=name)
    for network, endpoint in networks[1:]:
        client.api.connect_container_to_network(created["Id"], network, aliases=endpoint["Aliases"])
    client.api.start(created["Id"])
    return created["Id"]


def restore(client: Any, name: str) -> None:
    """Roll forward: the twin removed, the original back under its name and started. Safe to call
    whatever `redeploy` got to (nothing aside: nothing to do but make sure it runs)."""
    kept = _get_or_none(client, kept_name(name))
    if kept is None:
        client.containers.get(name).start()
        return
    twin = _get_or_none(client, name)
    if twin is not None:
        twin.stop(timeout=STOP_TIMEOUT_S)
        twin.remove()
    kept.rename(name)
    kept.start()


def _get_or_none(client: Any, name: str) -> Any:
    import docker.errors

    try:
        return client.containers.get(name)
    except docker.errors.NotFound:
        return None
