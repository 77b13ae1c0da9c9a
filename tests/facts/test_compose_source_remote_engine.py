"""With a remote engine ([docker] host = "ssh://..."), the compose files a container's labels name are
paths on the engine's host: when they are not readable here, the message says so and what to set."""

from __future__ import annotations

import pytest

from examday.facts.compose_source import ComposeFilesUnknown, compose_source
from tests.facts.test_compose_source import FakeDockerFind, config, labelled

ON_THE_EXAM_HOST = labelled("/srv/platform/docker-compose.prod.yml", "/srv/platform")


def test_label_paths_of_a_remote_engine_are_named_as_the_remote_hosts() -> None:
    with pytest.raises(ComposeFilesUnknown) as raised:
        compose_source(FakeDockerFind(ON_THE_EXAM_HOST), config(host="ssh://deploy@exam-host"))
    message = str(raised.value)
    assert "paths on the engine's host (ssh://deploy@exam-host)" in message
    assert "/srv/platform/docker-compose.prod.yml" in message and "local copies" in message
    assert "set [docker] compose_files" in message and "\n" not in message


@pytest.mark.parametrize("host", ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"])
def test_a_local_engine_keeps_the_plain_message(host: str) -> None:
    with pytest.raises(ComposeFilesUnknown, match="not readable on this host") as raised:
        compose_source(FakeDockerFind(ON_THE_EXAM_HOST), config(host=host))
    assert "engine's host" not in str(raised.value)
