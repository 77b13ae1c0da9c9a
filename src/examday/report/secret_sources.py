"""Where the secret values a record must never contain are found at run time.

The target's own credentials (from its config: passwords, the restore-test
DSN, a password in the Redis URL) and the env values of the platform's
containers that are not on `[platform] env_allowlist` and look like secrets,
read through the Docker probe. A Docker engine that does not answer costs one
bounded timeout and leaves the pattern rules to do the work.
"""

from __future__ import annotations

from examday.config import ExamdayConfig
from examday.probes.docker import ContainerNotFound, DockerProbe
from examday.probes.errors import ProbeError
from examday.report.redaction import secrets_in_env, url_password


def config_secrets(config: ExamdayConfig) -> set[str]:
    found: set[str] = set()
    for section in (config.postgres, config.redis, config.canary, config.rehearsal):
        if section is not None and section.password is not None:
            found.add(section.password.get_secret_value())
    redis_password = url_password(config.redis.url)
    if redis_password:
        found.add(redis_password)
    restore_dsn = config.backup.restore_test_dsn()
    if restore_dsn is not None:
        found.add(restore_dsn.get_secret_value())
        found.add(url_password(restore_dsn.get_secret_value()) or "")
    return {secret for secret in found if secret}


def container_secrets(config: ExamdayConfig) -> set[str]:
    """Secret-looking env values of every configured container that exists (running or not)."""
    allowlist = config.platform.env_allowlist
    probe = DockerProbe(config.docker.base_url, timeout=config.docker.timeout_seconds)
    found: set[str] = set()
    try:
        for name in config.docker.containers.by_role().values():
            try:
                found |= secrets_in_env(probe.container(name).env, allowlist)
            except ContainerNotFound:
                continue
            except ProbeError:
                break  # the engine itself is down or silent: one timeout is enough
    finally:
        probe.close()
    return found


def run_secrets(config: ExamdayConfig) -> set[str]:
    return config_secrets(config) | container_secrets(config)
