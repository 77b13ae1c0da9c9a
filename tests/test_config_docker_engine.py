"""[docker] host, its older name base_url, and context: one engine, named one way, or one clear message."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from examday.config import ConfigError, load_config
from tests.test_config import MINIMAL, load_error, write

SSH_URL = "ssh://deploy@exam-host:2222"


def docker_section(folder: Path, body: str) -> Path:
    return write(folder, MINIMAL + "[docker]\n" + body)


def write_context(docker_config: Path, name: str, host: object) -> None:
    """A context as `docker context create NAME --docker host=HOST` stores it."""
    meta = docker_config / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host,
                                                                                       "SkipTLSVerify": False}}}))


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    return folder


@pytest.mark.parametrize("url", [SSH_URL, "ssh://exam-host", "tcp://10.0.0.5:2376", "unix:///run/docker.sock"])
def test_host_names_the_engine(tmp_path: Path, url: str) -> None:
    docker = load_config(docker_section(tmp_path, f'host = "{url}"\n')).docker
    assert docker.base_url == url and docker.host == url


def test_base_url_is_still_read_as_the_older_name_of_host(tmp_path: Path) -> None:
    assert load_config(docker_section(tmp_path, f'base_url = "{SSH_URL}"\n')).docker.base_url == SSH_URL
    same = docker_section(tmp_path, f'base_url = "{SSH_URL}"\nhost = "{SSH_URL}"\n')
    assert load_config(same).docker.base_url == SSH_URL


def test_host_and_base_url_naming_different_engines_is_one_message(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + f'[docker]\nhost = "{SSH_URL}"\nbase_url = "unix:///x.sock"\n')
    assert error.key == "docker.host"
    assert "host and base_url name different engines" in str(error)
    assert SSH_URL in str(error) and "base_url is the older name" in str(error)


@pytest.mark.parametrize(("url", "why"), [
    ("http://exam-host:2375", "http scheme"),
    ("exam-host", "no scheme"),
    ("ssh://", "no host"),
    ("ssh://deploy:hunter2@exam-host", "no password in the URL"),
    ("ssh://deploy@exam-host/var/run/docker.sock", "with no path"),
    ("ssh://deploy@exam-host:twenty", "Port could not be cast"),
    ("unix://", "socket path"),
])
def test_an_engine_url_examday_cannot_use_is_one_message(tmp_path: Path, url: str, why: str) -> None:
    error = load_error(tmp_path, MINIMAL + f'[docker]\nhost = "{url}"\n')
    assert error.key == "docker.host"
    assert why in str(error) and "unix://, tcp:// or ssh://" in str(error)
    assert "hunter2" not in str(error)


def test_an_unusable_docker_host_in_the_environment_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "npipe:////./pipe/docker_engine")
    error = load_error(tmp_path, MINIMAL)
    assert "DOCKER_HOST holds" in str(error) and "npipe" in str(error)


def test_a_context_is_read_from_the_docker_cli_store(tmp_path: Path, docker_config: Path) -> None:
    write_context(docker_config, "exam-host", SSH_URL)
    assert load_config(docker_section(tmp_path, 'context = "exam-host"\n')).docker.base_url == SSH_URL
    assert load_config(docker_section(tmp_path, 'context = "default"\n')).docker.base_url == \
        "unix:///var/run/docker.sock"


def test_the_context_store_defaults_to_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write_context(tmp_path / "home" / ".docker", "exam-host", SSH_URL)
    assert load_config(docker_section(tmp_path, 'context = "exam-host"\n')).docker.base_url == SSH_URL


def test_an_unknown_context_names_the_known_ones(tmp_path: Path, docker_config: Path) -> None:
    write_context(docker_config, "staging-host", "ssh://deploy@staging")
    write_context(docker_config, "exam-host", SSH_URL)
    error = load_error(tmp_path, MINIMAL + '[docker]\ncontext = "exam-hots"\n')
    assert error.key == "docker.context"
    assert 'no Docker context "exam-hots"' in str(error)
    assert "default, exam-host, staging-host" in str(error) and "docker context create exam-hots" in str(error)


def test_a_context_without_a_docker_endpoint_or_with_a_bad_one(tmp_path: Path, docker_config: Path) -> None:
    write_context(docker_config, "broken", None)
    write_context(docker_config, "npipe", "npipe:////./pipe/docker_engine")
    assert "docker context inspect broken" in str(load_error(tmp_path, MINIMAL + '[docker]\ncontext = "broken"\n'))
    error = load_error(tmp_path, MINIMAL + '[docker]\ncontext = "npipe"\n')
    assert "Docker context 'npipe' holds" in str(error)


def test_a_context_and_a_different_host_is_one_message(tmp_path: Path, docker_config: Path) -> None:
    write_context(docker_config, "exam-host", SSH_URL)
    error = load_error(tmp_path, MINIMAL + '[docker]\ncontext = "exam-host"\nhost = "ssh://elsewhere"\n')
    assert "host and context name different engines" in str(error)


def test_no_traceback_reaches_the_operator(tmp_path: Path, docker_config: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(docker_section(tmp_path, 'context = "nope"\n'))
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
