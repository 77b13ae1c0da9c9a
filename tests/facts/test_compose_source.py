"""Without [docker] compose_files, the files compose last applied come from the backend's labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from examday.config import ExamdayConfig
from examday.facts.compose_source import ComposeFilesUnknown, compose_source


@dataclass
class Container:
    name: str
    labels: dict[str, str] = field(default_factory=dict)


class FakeDockerFind:
    """Stands in for DockerProbe.find only: the decision, not Docker, is under test here
    (tests/checks/test_nothing_silent_on_sandbox.py reads the sandbox's real labels)."""

    def __init__(self, container: Container | None) -> None:
        self.container = container

    def find(self, name: str, label: str) -> Container | None:
        return self.container


def config(**docker: object) -> ExamdayConfig:
    return ExamdayConfig.model_validate({"target": {"name": "t", "kind": "production"},
                                         "api": {"base_url": "http://127.0.0.1:9"}, "docker": docker})


def labelled(files: str, working_dir: str) -> Container:
    return Container("exam_platform_backend", {"com.docker.compose.project": "exam_platform",
                                               "com.docker.compose.project.config_files": files,
                                               "com.docker.compose.project.working_dir": working_dir})


def test_the_backends_labels_name_the_files_when_none_are_configured(tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.prod.yml"
    compose.write_text("services: {}\n")
    source = compose_source(FakeDockerFind(labelled(str(compose), str(tmp_path))), config())
    assert source.files == (compose,) and source.project_dir == tmp_path and source.project_name == "exam_platform"
    assert source.found_in == "the compose labels of exam_platform_backend"


def test_files_not_readable_here_are_not_checked_saying_what_to_set(tmp_path: Path) -> None:
    elsewhere = labelled("/srv/other-host/docker-compose.yml", "/srv/other-host")
    with pytest.raises(ComposeFilesUnknown, match=r"not readable on this host \(/srv/other-host/docker-compose.yml\)"):
        compose_source(FakeDockerFind(elsewhere), config())
    with pytest.raises(ComposeFilesUnknown, match=r"set \[docker\] compose_files"):
        compose_source(FakeDockerFind(Container("hand-made")), config())


def test_configured_files_win(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yml"
    compose.write_text("services: {}\n")
    source = compose_source(FakeDockerFind(None), config(compose_files=[str(compose)]))
    assert source.files == (compose,) and source.found_in == "[docker] compose_files"
