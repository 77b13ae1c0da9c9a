"""Which compose files the deployment is made from: the configured ones, else the ones compose
itself last applied to the backend (the labels it writes on every container it creates).

A deployment's compose files are what "the next restart applies": without them the
exam-mode and resource-limit items cannot read the configuration. Rather than skip
when `[docker] compose_files` is unset, examday asks the backend container.
"""

from __future__ import annotations

from examday.config import ExamdayConfig
from examday.facts.ports import DockerReads
from examday.probes.compose import ComposeSource, compose_source_from_labels


class ComposeFilesUnknown(LookupError):
    """Neither configured nor found on this host; the message says what to set."""


def compose_source(docker: DockerReads, config: ExamdayConfig) -> ComposeSource:
    cfg = config.docker
    if cfg.compose_files:
        return ComposeSource(tuple(cfg.compose_files), cfg.compose_project_dir, tuple(cfg.compose_env_files),
                             cfg.compose_project_name)
    name = cfg.containers.name_of("backend")
    backend = docker.find(name, cfg.service_label) if name else None
    found = compose_source_from_labels(backend.name, backend.labels) if backend else None
    if found is None:
        raise ComposeFilesUnknown("docker.compose_files is not set, and no backend container names its compose "
                                  "files (label com.docker.compose.project.config_files): set [docker] "
                                  "compose_files to the files the next restart applies")
    if found.unreadable():
        raise ComposeFilesUnknown(_unreadable_message(found, cfg.base_url if cfg.remote_engine else None))
    return ComposeSource(found.files, cfg.compose_project_dir or found.project_dir,
                         tuple(cfg.compose_env_files) or found.env_files,
                         cfg.compose_project_name or found.project_name, found.found_in)


def _unreadable_message(found: ComposeSource, remote_engine: str | None) -> str:
    unreadable = ", ".join(found.unreadable())
    if remote_engine is None:
        return (f"docker.compose_files is not set, and the files {found.found_in} names are not readable on "
                f"this host ({unreadable}): set [docker] compose_files")
    # `compose config` runs here, on local files: the labels name paths on the engine's host.
    return (f"docker.compose_files is not set, and the files {found.found_in} names are paths on the engine's "
            f"host ({remote_engine}), not readable here ({unreadable}): set [docker] compose_files (and "
            "compose_env_files) to local copies of the files the next restart applies there")
