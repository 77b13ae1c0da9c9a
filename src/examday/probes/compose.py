"""The compose configuration as compose itself resolves it, and small readers over it.

`docker compose config` (v2) or `docker-compose config` (v1) does the interpolation,
env_file merging and extends/override handling, so examday never re-implements them.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from examday.probes.errors import BadResponse, ProbeError, ProbeTimeout, Unreachable

DEPENDENCY = "compose"


@dataclass(frozen=True)
class ServiceLimits:
    mem_limit_bytes: int | None
    cpus: float | None


@dataclass(frozen=True)
class ServiceLogging:
    driver: str | None  # None: the engine's default driver
    options: dict[str, str] = field(default_factory=dict)


# -- which compose files ------------------------------------------------------------------

# What compose (v1 and v2) writes on every container it creates.
PROJECT_LABEL = "com.docker.compose.project"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"
ENV_FILE_LABEL = "com.docker.compose.project.environment_file"  # v2 only


@dataclass(frozen=True)
class ComposeSource:
    """The compose files a deployment is made from, and where that was learnt."""

    files: tuple[Path, ...]
    project_dir: Path | None = None
    env_files: tuple[Path, ...] = ()
    project_name: str | None = None
    found_in: str = "[docker] compose_files"

    def unreadable(self) -> list[str]:
        return [str(path) for path in (*self.files, *self.env_files) if not path.is_file()]


def compose_source_from_labels(container: str, labels: dict[str, str]) -> ComposeSource | None:
    """The files compose last applied to `container`, from its labels; None without them."""
    files = [part for part in labels.get(CONFIG_FILES_LABEL, "").split(",") if part]
    if not files:
        return None
    working_dir = labels.get(WORKING_DIR_LABEL)
    env_files = [part for part in labels.get(ENV_FILE_LABEL, "").split(",") if part]
    return ComposeSource(tuple(Path(f) for f in files), Path(working_dir) if working_dir else None,
                         tuple(Path(f) for f in env_files), labels.get(PROJECT_LABEL) or None,
                         found_in=f"the compose labels of {container}")


# -- running compose ----------------------------------------------------------------------

def resolved_compose_config(
    files: Sequence[str | Path],
    project_dir: str | Path | None = None,
    env_files: Sequence[str | Path] = (),
    project_name: str | None = None,
    profiles: Sequence[str] = (),
    timeout: float = 20.0,
) -> dict[str, Any]:
    """The merged, interpolated compose model, as `compose config` prints it."""
    base = compose_command()
    argv = [*base]
    for file in files:
        argv += ["-f", str(file)]
    if project_dir is not None:
        argv += ["--project-directory", str(project_dir)]
    if project_name:
        argv += ["-p", project_name]
    for profile in profiles:
        argv += ["--profile", profile]
    environment = dict(os.environ)
    if base[0] == "docker-compose" and len(env_files) > 1:
        # v1 takes one --env-file: merge the files ourselves, later ones winning and the
        # real environment winning over all (as compose does for its interpolation).
        merged: dict[str, str] = {}
        for env_file in env_files:
            merged.update(read_env_file(env_file))
        environment = {**merged, **environment}
    else:
        for env_file in env_files:
            argv += ["--env-file", str(env_file)]
    argv.append("config")
    output = _run(argv, environment, timeout, cwd=project_dir)
    try:
        config = yaml.safe_load(output)
    except yaml.YAMLError as error:
        raise BadResponse(f"`{' '.join(argv)}` printed something that is not YAML: {error}",
                          dependency=DEPENDENCY) from error
    if not isinstance(config, dict):
        raise BadResponse(f"`{' '.join(argv)}` printed no compose model", dependency=DEPENDENCY)
    return config


@functools.cache
def compose_command() -> tuple[str, ...]:
    """`docker compose` when the v2 plugin is installed, else `docker-compose` (v1)."""
    if shutil.which("docker"):
        try:
            probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=10)
            if probe.returncode == 0:
                return ("docker", "compose")
        except subprocess.TimeoutExpired:
            pass
    if shutil.which("docker-compose"):
        return ("docker-compose",)
    raise Unreachable("neither `docker compose` nor `docker-compose` is installed", dependency=DEPENDENCY)


def _run(argv: list[str], environment: dict[str, str], timeout: float, cwd: str | Path | None) -> str:
    command = " ".join(argv)
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                   env=environment, cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ProbeTimeout(f"`{command}` did not finish within {timeout:g}s", dependency=DEPENDENCY) from None
    except OSError as error:
        raise Unreachable(f"`{command}` could not start: {error}", dependency=DEPENDENCY) from error
    if completed.returncode != 0:
        raise ProbeError(f"`{command}` failed (exit {completed.returncode}): {completed.stderr.strip()}",
                         dependency=DEPENDENCY)
    return completed.stdout


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")


def read_env_file(path: str | Path) -> dict[str, str]:
    """KEY=VALUE lines (comments, `export`, single or double quotes), as compose reads them."""
    values: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        match = _ENV_LINE.match(line)
        if match is None or line.lstrip().startswith("#"):
            continue
        key, raw = match.groups()
        values[key] = _unquote(raw.strip())
    return values


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return re.sub(r"\s+#.*$", "", raw)  # an unquoted value ends at an inline comment


# -- reading the resolved model ----------------------------------------------------------

def service(config: dict[str, Any], name: str) -> dict[str, Any]:
    services = config.get("services") or {}
    if name not in services:
        known = ", ".join(sorted(services)) or "none"
        raise BadResponse(f"compose service {name!r} not found (services: {known})", dependency=DEPENDENCY)
    return services[name] or {}


def service_environment(config: dict[str, Any], name: str) -> dict[str, str]:
    """The service's environment as a dict, whether written as a list or a mapping.

    A variable named without a value and left unresolved is not set in the container,
    so it is left out.
    """
    environment = service(config, name).get("environment") or {}
    if isinstance(environment, list):
        pairs = (entry.split("=", 1) for entry in environment)
        return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}
    return {key: _as_env_string(value) for key, value in environment.items() if value is not None}


def _as_env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def service_limits(config: dict[str, Any], name: str) -> ServiceLimits:
    """Memory and CPU limits: deploy.resources.limits, else service-level mem_limit/cpus."""
    definition = service(config, name)
    limits = ((definition.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    memory = limits.get("memory", definition.get("mem_limit"))
    cpus = limits.get("cpus", definition.get("cpus"))
    return ServiceLimits(
        mem_limit_bytes=parse_byte_size(memory) if memory not in (None, "", 0, "0") else None,
        cpus=float(cpus) if cpus not in (None, "", 0, "0") else None,
    )


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_MULTIPLIER = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_byte_size(value: str | int | float) -> int:
    """Compose/docker sizes ("512m", "1G", "1gb", 1073741824): binary units, as docker reads them."""
    if isinstance(value, (int, float)):
        return int(value)
    match = _SIZE.match(value)
    if match is None:
        raise BadResponse(f"not a byte size: {value!r}", dependency=DEPENDENCY)
    number, unit = match.groups()
    return int(float(number) * _MULTIPLIER[unit.lower()])


def service_logging(config: dict[str, Any], name: str) -> ServiceLogging:
    logging = service(config, name).get("logging") or {}
    options = {key: str(value) for key, value in (logging.get("options") or {}).items()}
    return ServiceLogging(driver=logging.get("driver"), options=options)


def service_would_run(config: dict[str, Any], name: str, active_profiles: Iterable[str] = ()) -> bool:
    """False for services scaled to 0 (scale / deploy.replicas) or only in inactive profiles."""
    definition = service(config, name)
    profiles = definition.get("profiles") or []
    if profiles and not set(profiles) & set(active_profiles):
        return False
    replicas = (definition.get("deploy") or {}).get("replicas")
    scale = definition.get("scale")
    return not any(count is not None and int(count) == 0 for count in (replicas, scale))


def services_that_would_run(config: dict[str, Any], active_profiles: Iterable[str] = ()) -> list[str]:
    active = list(active_profiles)
    return sorted(name for name in config.get("services") or {} if service_would_run(config, name, active))


def container_name(config: dict[str, Any], name: str) -> str | None:
    """The fixed container_name of a service, when it has one."""
    return service(config, name).get("container_name")
