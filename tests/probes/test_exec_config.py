"""postgres.via / redis.via = "docker_exec": what the configuration refuses, and the one message when
the container it needs is not named (no container is started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from examday.config import ConfigError
from examday.probes.errors import Unreachable
from examday.probes.for_target import docker_probe as guarded_docker_for, postgres_probe, redis_probe
from tests.probes.exec_target import exec_target

PROBES = {"postgres": (postgres_probe, lambda p: p.scalar("SELECT 1")), "redis": (redis_probe, lambda p: p.ping())}


@pytest.mark.parametrize("role", sorted(PROBES))
def test_docker_exec_without_its_container_is_one_clear_message(tmp_path: Path, role: str) -> None:
    config = exec_target(tmp_path, f"""
        [docker.containers]
        absent = ["{role}"]

        [{role}]
        via = "docker_exec"
    """)
    make_probe, first_call = PROBES[role]
    guarded = make_probe(config, guarded_docker_for(config))
    with pytest.raises(Unreachable) as raised:
        first_call(guarded)
    assert str(raised.value) == (f'{role}.via = "docker_exec" needs the {role} container, but '
                                 f'[docker.containers] names none: set docker.containers.{role}, '
                                 f'or {role}.via = "tcp"')
    assert raised.value.dependency == role


@pytest.mark.parametrize("section, extra, key", [
    ("postgres", 'via = "ssh"', "postgres.via"),
    ("postgres", 'via = "docker_exec"\nhost = "10.0.0.5"', "postgres.host"),
    ("postgres", 'via = "docker_exec"\nsslmode = "require"', "postgres.sslmode"),
    ("redis", 'via = "ssh"', "redis.via"),
    ("redis", 'via = "docker_exec"\nurl = "rediss://127.0.0.1:6380/0"', "redis.url"),
])
def test_bad_via_settings_are_one_message_naming_the_key(tmp_path: Path, section: str, extra: str,
                                                         key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        exec_target(tmp_path, f"[{section}]\n{extra}\n")
    assert raised.value.key == key
    assert str(raised.value).count("\n") == 0 and key in str(raised.value)
