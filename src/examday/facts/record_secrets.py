"""Where the secret values a record must never contain are found at run time, before anything is
rendered (the renderers only apply the Redactor made from them).

The target's own credentials (from its config: every password, the restore-test
DSN, a password in the Redis URL) and the env values that are not on
`[platform] env_allowlist` and look like secrets, of every container the target
names, their staging twins and the rest of the backend's compose project
(exporters), read through the Docker probe. A Docker engine that does not answer costs one
bounded timeout and leaves the pattern rules to do the work.
"""

from __future__ import annotations

from examday.config import ExamdayConfig
from examday.probes.compose import PROJECT_LABEL
from examday.probes.docker import ContainerNotFound, DockerProbe
from examday.probes.errors import ProbeError
from examday.secret_rules import secrets_in_env, url_password


def config_secrets(config: ExamdayConfig) -> set[str]:
    """Every credential the target's config holds: each section's password, staging's student
    password, the password in the Redis URL, the restore-test DSN and its password."""
    sections = (config.postgres, config.redis, config.canary, config.rehearsal, config.operator, config.staging,
                config.dashboard)
    found = {section.password.get_secret_value() for section in sections
             if section is not None and section.password is not None}
    if config.staging is not None and config.staging.student_password() is not None:
        found.add(config.staging.student_password().get_secret_value())
    found.add(url_password(config.redis.url) or "")
    restore_dsn = config.backup.restore_test_dsn()
    if restore_dsn is not None:
        found.add(restore_dsn.get_secret_value())
        found.add(url_password(restore_dsn.get_secret_value()) or "")
    return {secret for secret in found if secret}


def _containers_named(config: ExamdayConfig, probe: DockerProbe) -> list[str]:
    """The configured containers, their staging twins, and every other container of the backend's
    compose project (exporters, sidecars): their env may hold the same credentials."""
    names = list(config.docker.containers.by_role().values())
    if config.staging is not None:
        names += [name + config.staging.container_suffix for name in list(names)]
    backend = config.docker.containers.backend
    if backend:
        try:
            project = probe.container(backend).labels.get(PROJECT_LABEL)
        except ContainerNotFound:
            project = None
        if project:
            names += [c.name for c in probe.containers_by_label(PROJECT_LABEL, project)]
    return list(dict.fromkeys(names))


def container_secrets(config: ExamdayConfig) -> set[str]:
    """Secret-looking env values of every container the target names that exists (running or not)."""
    allowlist = config.platform.env_allowlist
    probe = DockerProbe(config.docker.base_url, timeout=config.docker.timeout_seconds)
    found: set[str] = set()
    try:
        for name in _containers_named(config, probe):
            try:
                found |= secrets_in_env(probe.container(name).env, allowlist)
            except ContainerNotFound:
                continue
    except ProbeError:
        pass  # the engine itself is down or silent: one timeout is enough, the patterns do the rest
    finally:
        probe.close()
    return found


def run_secrets(config: ExamdayConfig) -> set[str]:
    return config_secrets(config) | container_secrets(config)
