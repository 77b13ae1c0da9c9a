"""One `docker exec` for a probe that reads a service with its own client inside the service's
container (psql, redis-cli): the engine's failures become the service's, in one place.

    exit_code, output = exec_for(lambda: docker, "exam_platform_redis", ["redis-cli", "PING"], service="Redis",
                                 dependency="redis", what="PING", timeout=2, environment={}, scrub=str)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from examday.probes.errors import ProbeError, ProbeTimeout, Unreachable


class Execs(Protocol):
    """What is needed of the run's DockerProbe: its bounded `exec`."""

    def exec(self, container: str, command: list[str], *, timeout: float, environment: dict[str, str]) -> Any: ...


def exec_for(docker: Callable[[], Execs], container: str, argv: list[str], *, service: str, dependency: str, what: str,
             timeout: float, environment: dict[str, str], scrub: Callable[[str], str]) -> tuple[int, str]:
    """Run ``argv`` in ``container`` through the run's DockerProbe (``docker()``: getting it may fail
    too, when the engine is down); a timeout stays a timeout, anything else from the engine (engine
    gone, container missing, paused or stopped) is the service unreachable. ``scrub`` takes secrets out."""
    try:
        result = docker().exec(container, argv, timeout=timeout, environment=environment)
    except ProbeTimeout as error:
        raise ProbeTimeout(f"{service} in {container} did not answer {what} within {timeout:g}s "
                           f"(docker exec: {scrub(str(error))})", dependency=dependency) from None
    except ProbeError as error:
        raise Unreachable(f"{service} in {container} cannot be reached through docker exec: "
                          f"{scrub(str(error))}", dependency=dependency) from None
    return int(result.exit_code), str(result.output)
