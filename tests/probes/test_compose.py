"""The compose model as compose resolves it (the real docker compose / docker-compose), and its readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examday.probes import compose
from examday.probes.compose import (
    ServiceLimits,
    ServiceLogging,
    parse_byte_size,
    read_env_file,
    resolved_compose_config,
    service_environment,
    service_limits,
    service_logging,
    service_would_run,
    services_that_would_run,
)
from examday.probes.errors import BadResponse, ProbeError

COMPOSE_FILE = """
services:
  backend:
    image: examday-sandbox/base:bookworm
    container_name: exam_platform_backend
    env_file: [backend.env]
    environment:
      EXAM_MODE: "${EXAM_MODE:-false}"
      UVICORN_WORKERS: 5
      API_PREFIX: "${API_PREFIX}"
    deploy:
      resources:
        limits: {cpus: "1.5", memory: 1G}
    logging:
      driver: json-file
      options: {max-size: "10m", max-file: "3"}
  worker:
    image: examday-sandbox/base:bookworm
    scale: 0
    mem_limit: 512m
    cpus: 0.5
    environment: ["QUEUE=default", "UNSET_HERE"]
  old_scheduler:
    image: examday-sandbox/base:bookworm
    deploy: {replicas: 0}
  search:
    image: examday-sandbox/base:bookworm
    profiles: [elasticsearch]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        compose.compose_command()
    except ProbeError as error:
        pytest.skip(str(error))
    directory = tmp_path_factory.mktemp("compose") / "compose"  # like the platform's folder name
    directory.mkdir()
    (directory / "docker-compose.prod.yml").write_text(COMPOSE_FILE)
    (directory / "backend.env").write_text("DATABASE_URL=postgresql://exam_user:pw@postgres/exam_platform\n"
                                            "REDIS_URL=redis://redis:6379/0\n")
    (directory / "prod.env").write_text("# the next restart applies this\nEXAM_MODE=true\n")
    (directory / "prefix.env").write_text("export API_PREFIX='/v1'\n")
    return directory


@pytest.fixture(scope="module")
def config(project: Path) -> dict[str, Any]:
    return resolved_compose_config([project / "docker-compose.prod.yml"], project_dir=project,
                                   env_files=[project / "prod.env", project / "prefix.env"],
                                   project_name="examday-probe-test")


def test_environment_merges_env_file_and_interpolation(config: dict[str, Any]) -> None:
    environment = service_environment(config, "backend")
    assert environment["EXAM_MODE"] == "true"  # from prod.env, through ${EXAM_MODE:-false}
    assert environment["API_PREFIX"] == "/v1"  # from the second env file
    assert environment["UVICORN_WORKERS"] == "5"
    assert environment["DATABASE_URL"].startswith("postgresql://")  # from env_file


def test_environment_list_form_is_normalised_and_unset_names_dropped(config: dict[str, Any]) -> None:
    assert service_environment(config, "worker") == {"QUEUE": "default"}


def test_without_env_files_the_default_applies(project: Path) -> None:
    plain = resolved_compose_config([project / "docker-compose.prod.yml"], project_dir=project,
                                    project_name="examday-probe-test")
    assert service_environment(plain, "backend")["EXAM_MODE"] == "false"


def test_one_env_file_is_passed_to_compose(project: Path) -> None:
    single = resolved_compose_config([project / "docker-compose.prod.yml"], project_dir=project,
                                     env_files=[project / "prod.env"], project_name="examday-probe-test")
    assert service_environment(single, "backend")["EXAM_MODE"] == "true"


def test_limits_from_deploy_and_from_the_service_level(config: dict[str, Any]) -> None:
    assert service_limits(config, "backend") == ServiceLimits(mem_limit_bytes=1024**3, cpus=1.5)
    assert service_limits(config, "worker") == ServiceLimits(mem_limit_bytes=512 * 1024**2, cpus=0.5)
    assert service_limits(config, "search") == ServiceLimits(mem_limit_bytes=None, cpus=None)


def test_logging(config: dict[str, Any]) -> None:
    assert service_logging(config, "backend") == ServiceLogging(driver="json-file",
                                                                options={"max-size": "10m", "max-file": "3"})
    assert service_logging(config, "worker") == ServiceLogging(driver=None, options={})


def test_which_services_would_run(config: dict[str, Any]) -> None:
    assert services_that_would_run(config) == ["backend"]
    assert services_that_would_run(config, active_profiles=["elasticsearch"]) == ["backend", "search"]
    assert not service_would_run(config, "worker")  # scale: 0
    assert not service_would_run(config, "old_scheduler")  # deploy.replicas: 0


def test_container_name(config: dict[str, Any]) -> None:
    assert compose.container_name(config, "backend") == "exam_platform_backend"
    assert compose.container_name(config, "worker") is None


def test_unknown_service_names_the_known_ones(config: dict[str, Any]) -> None:
    with pytest.raises(BadResponse, match="backend"):
        service_environment(config, "frontend")


def test_a_broken_compose_file_names_the_command_and_stderr(project: Path) -> None:
    broken = project / "broken.yml"
    broken.write_text("services:\n  x:\n    image: [not, a, string]\n")
    with pytest.raises(ProbeError, match="config") as raised:
        resolved_compose_config([broken], project_dir=project)
    assert "broken.yml" in str(raised.value)
    assert "image" in str(raised.value)


@pytest.mark.parametrize(("written", "expected"), [
    ("512m", 512 * 1024**2), ("1G", 1024**3), ("1gb", 1024**3), ("100k", 100 * 1024), ("2048", 2048),
    (1073741824, 1073741824), ("1.5g", int(1.5 * 1024**3)),
])
def test_byte_sizes_use_binary_units(written: str | int, expected: int) -> None:
    assert parse_byte_size(written) == expected


def test_env_file_reader(tmp_path: Path) -> None:
    env_file = tmp_path / "x.env"
    env_file.write_text("# comment\nA=1\nexport B='two words'\nC=\"q\"\nD=plain # note\n\nnot a line\n")
    assert read_env_file(env_file) == {"A": "1", "B": "two words", "C": "q", "D": "plain"}


# -- which compose files: from the labels compose writes on each container -----------------------

def test_the_compose_labels_name_the_files_the_project_and_its_folder(tmp_path: Path) -> None:
    from examday.probes.compose import compose_source_from_labels

    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services: {}\n")
    labels = {"com.docker.compose.project": "exam_platform",
              "com.docker.compose.project.config_files": f"{compose},{tmp_path / 'override.yml'}",
              "com.docker.compose.project.working_dir": str(tmp_path)}
    source = compose_source_from_labels("exam_platform_backend", labels)
    assert source is not None
    assert source.files == (compose, tmp_path / "override.yml") and source.project_dir == tmp_path
    assert source.project_name == "exam_platform" and source.found_in == "the compose labels of exam_platform_backend"
    assert source.unreadable() == [str(tmp_path / "override.yml")]


def test_a_container_compose_did_not_make_names_no_files() -> None:
    from examday.probes.compose import compose_source_from_labels

    assert compose_source_from_labels("hand-made", {"maintainer": "ops"}) is None
