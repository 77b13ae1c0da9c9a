"""`examday init` on a compose file shaped like the real platform's production compose (docs/platform.md):
its roles, prefix, ports and datastore access found, guesses marked, what compose cannot say listed
with the key to set, and the file it writes loads. Compose only (`--compose-only`): the sandbox's
containers carry the platform's names, and these tests must not read them."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from examday.config import load_config
from tests.report.helpers import examday

PROD_COMPOSE = """
services:
  postgres:
    image: postgres:15-alpine
    container_name: exam_platform_postgres
    environment:
      POSTGRES_DB: exam_platform
      POSTGRES_USER: exam_user
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
    healthcheck: {test: ["CMD-SHELL", "pg_isready -U exam_user"], interval: 10s}
  redis:
    image: redis:7-alpine
    container_name: exam_platform_redis
    command: redis-server --appendonly yes
  backend:
    build: {context: ../../../backend}
    container_name: exam_platform_backend
    env_file: [.env, .env.production]
    environment:
      API_PREFIX: /v1
      DATABASE_URL: postgresql+psycopg://exam_user:${POSTGRES_PASSWORD}@postgres:5432/exam_platform
    command: sh -c "uvicorn app.main:app --host 0.0.0.0 --port 8000 --workers ${UVICORN_WORKERS:-5} --timeout-keep-alive 5"
    ports: ["127.0.0.1:8000:8000"]
  frontend:
    build: {context: ../../../frontend}
    container_name: exam_platform_frontend
    ports: ["127.0.0.1:3000:3000"]
  elasticsearch:
    image: elasticsearch:8.13.0
    profiles: [search]
"""


@pytest.fixture
def platform_checkout(tmp_path: Path) -> Path:
    """infra/docker/compose/docker-compose.prod.yml with its two env files, as the platform lays them out."""
    compose = tmp_path / "infra" / "docker" / "compose"
    compose.mkdir(parents=True)
    for folder in ("backend", "frontend"):
        (tmp_path / folder).mkdir()
    (compose / "docker-compose.prod.yml").write_text(textwrap.dedent(PROD_COMPOSE))
    (compose / ".env").write_text("POSTGRES_PASSWORD=not-in-the-target\n")
    (compose / ".env.production").write_text("UVICORN_WORKERS=5\n")
    return compose


def test_the_real_platforms_compose_gives_its_roles_prefix_and_datastore_access(platform_checkout, tmp_path):
    target = tmp_path / "examday.toml"
    done = examday("init", str(platform_checkout / "docker-compose.prod.yml"), "--env-file",
                   str(platform_checkout / ".env"), "--env-file", str(platform_checkout / ".env.production"),
                   "--output", str(target), "--compose-only")
    assert done.returncode == 0, done.stdout + done.stderr
    text = target.read_text()
    assert "not-in-the-target" not in text  # no secret from the env files
    config = load_config(target)
    containers = config.docker.containers
    assert (containers.postgres, containers.redis, containers.backend, containers.frontend) == (
        "exam_platform_postgres", "exam_platform_redis", "exam_platform_backend", "exam_platform_frontend")
    assert config.api.backend_prefix == "/v1" and config.api.metrics_base_url == "http://127.0.0.1:8000"
    assert config.postgres.via == "docker_exec" and config.redis.via == "docker_exec"  # not published
    assert (config.postgres.dbname, config.postgres.user) == ("exam_platform", "exam_user")
    assert config.platform.workers_env == "UVICORN_WORKERS"
    assert config.target.name == "compose"  # the project is named after the compose file's folder
    # guesses are marked for a person: the public URL, the client-side prefix, the exam-mode source
    for key in ("base_url", "prefix", "sources"):
        assert re.search(rf"^{key} = .*# guess: ", text, flags=re.M), key
    assert "elasticsearch" not in text  # an optional profile, off by default
    # no monitoring, backup job, DNS or proxy container in its compose: said with the key to set
    for keys in ("prometheus.url", "alertmanager.url", "backup.host_dir or backup.container", "api.base_url",
                 "operator.password_file or operator.password_env",
                 "exam.window_file or exam.starts_at + exam.ends_at"):
        assert f"#   not found: set {keys} (" in text and f"not found: set {keys} (" in done.stdout, keys
    assert config.prometheus is None and config.operator is None and config.exam is None


def test_what_it_cannot_find_is_listed_with_the_key_to_set(tmp_path):
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  web:\n    image: nginx:1.27\n")
    done = examday("init", str(compose), "--output", str(tmp_path / "examday.toml"), "--compose-only")
    assert done.returncode == 0, done.stdout + done.stderr
    text = (tmp_path / "examday.toml").read_text()
    for key in ("docker.containers.postgres", "docker.containers.redis", "docker.containers.backend"):
        assert f"#   not found: set {key} (no compose service looks like the" in text
        assert f"not found: set {key} (" in done.stdout
    load_config(tmp_path / "examday.toml")  # a stand-in base URL: it loads as written


def test_an_existing_file_is_not_overwritten_and_a_missing_compose_file_is_one_message(tmp_path):
    (tmp_path / "examday.toml").write_text("kept\n")
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services: {}\n")
    kept = examday("init", str(compose), "--output", str(tmp_path / "examday.toml"))
    assert kept.returncode == 2 and "exists" in kept.stderr and (tmp_path / "examday.toml").read_text() == "kept\n"
    missing = examday("init", str(tmp_path / "nope.yml"))
    assert missing.returncode == 2 and "nope.yml: no such file" in missing.stderr and "Traceback" not in missing.stderr
