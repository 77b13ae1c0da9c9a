"""The platform's containers by role, as the Docker engine reports them."""

from __future__ import annotations

from examday.config import ExamdayConfig
from examday.facts.ports import DockerReads
from examday.probes.docker_observations import ContainerObservation

# compose's shipping drivers and rotating local drivers count as "logs handled".
SHIPPING_DRIVERS = {"syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "gcplogs", "loki",
                    "logentries", "etwlogs"}


def find_containers(docker: DockerReads, config: ExamdayConfig) -> dict[str, ContainerObservation | None]:
    """role -> the container (by name, else by compose service label), None when absent."""
    return {role: docker.find(name, config.docker.service_label)
            for role, name in config.docker.containers.by_role().items()}


def log_handling(container: ContainerObservation) -> str | None:
    """How the container's logs are rotated or shipped; None when they grow unbounded."""
    driver = container.log_driver or ""
    if driver in SHIPPING_DRIVERS:
        return f"shipped ({driver})"
    if driver == "local":
        return "rotated (local driver)"
    if driver == "json-file" and container.log_opts.get("max-size"):
        files = container.log_opts.get("max-file", "1")
        return f"rotated (json-file max-size {container.log_opts['max-size']} x {files})"
    return None
