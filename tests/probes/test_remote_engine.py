"""A Docker engine on "another host": `[docker] host = "ssh://..."` (or a Docker context) reaches the
local engine through a real sshd on loopback, through the Docker SDK's paramiko transport.

The client's ~/.ssh is a tmp HOME (tests/fixtures/sshd.py): its config names the key, its
known_hosts holds the server's host key, or not, to show that an unknown key is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from examday.config import ExamdayConfig
from examday.probes.docker import DockerProbe
from examday.probes.errors import ProbeTimeout, Unreachable
from examday.probes.for_target import docker_probe
from examday.probes.host import HostProbe
from tests.fixtures.ports import free_port
from tests.fixtures.services import BlackHole, ContainerFactory, wait_until
from tests.fixtures.sshd import SshServer, client_home, sshd_factory  # noqa: F401 - a fixture
from tests.test_config_docker_engine import write_context


DEAD_ENGINE = "unix:///nonexistent/docker.sock"


@pytest.fixture(scope="module")
def server(sshd_factory: Callable[..., SshServer]) -> SshServer:
    return sshd_factory()


@pytest.fixture
def trusted_home(server: SshServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = client_home(tmp_path / "home", server)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)  # the key comes from ~/.ssh/config alone
    # The local engine is the remote one's far end: with DOCKER_HOST dead, whatever reaches a
    # container here can only have gone through ssh.
    monkeypatch.setenv("DOCKER_HOST", DEAD_ENGINE)
    return home


@pytest.fixture(scope="module")
def container(run_container: ContainerFactory, base_image: str) -> Any:
    started = run_container(base_image, ["sh", "-c", "echo remote > /srv/marker && exec sleep 300"], role="remote")
    wait_until(lambda: started.exec_run(["test", "-e", "/srv/marker"]).exit_code == 0, 10, "the marker file")
    return started


@pytest.fixture
def remote(server: SshServer, trusted_home: Path) -> Iterator[DockerProbe]:
    probe = DockerProbe(server.url, timeout=10)
    yield probe
    probe.close()


def refused(url: str, timeout: float = 5) -> Unreachable:
    probe = DockerProbe(url, timeout=timeout)
    with pytest.raises(Unreachable) as raised:
        probe.client  # noqa: B018 - opening the client is what is refused
    return raised.value


# -- what goes through -----------------------------------------------------------------------------

def test_the_probe_lists_and_inspects_containers_over_ssh(remote: DockerProbe, container: Any) -> None:
    seen = remote.container(container.name)
    assert seen.id == container.id and seen.is_running
    assert container.name in [c.name for c in remote.containers_by_label("examday.test", "probes")]
    assert remote.find(container.name) == seen


def test_exec_over_ssh_runs_in_the_remote_engines_container(remote: DockerProbe, container: Any) -> None:
    assert remote.exec(container.name, ["cat", "/srv/marker"], timeout=5) == (0, "remote\n")
    code, stdout, stderr = remote.exec_streams(container.name, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (code, stdout, stderr) == (3, b"out\n", b"err\n")


def test_a_hung_exec_over_ssh_is_bounded(remote: DockerProbe, container: Any) -> None:
    began = time.monotonic()
    with pytest.raises(ProbeTimeout, match="did not finish within 2s"):
        remote.exec(container.name, ["sleep", "60"], timeout=2)
    assert time.monotonic() - began < 10


def test_host_probe_reads_a_container_on_the_remote_engine(remote: DockerProbe, container: Any) -> None:
    host = HostProbe(f"docker://{container.name}", timeout=5, docker=lambda: remote)
    assert host.file_info("/srv/marker").size == len("remote\n")
    assert [p.cmdline for p in host.processes()] == ["sleep 300"]
    with pytest.raises(Unreachable, match="examday-test-not-there"):
        HostProbe("docker://examday-test-not-there", docker=lambda: remote).file_info("/etc/hostname")
    with pytest.raises(Unreachable, match=DEAD_ENGINE):  # without the run's probe: DOCKER_HOST's engine
        HostProbe(f"docker://{container.name}", timeout=5).file_info("/srv/marker")


def test_a_docker_context_reaches_the_same_engine(server: SshServer, trusted_home: Path, container: Any,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    write_context(tmp_path / "docker-config", "exam-host", server.url)
    config = ExamdayConfig.model_validate({"target": {"name": "t", "kind": "staging"},
                                           "api": {"base_url": "https://api.example.test"},
                                           "docker": {"context": "exam-host"}})
    assert config.docker.base_url == server.url and config.docker.remote_engine
    probe = docker_probe(config)
    try:
        assert probe.container(container.name).id == container.id
        assert probe.exec(container.name, ["cat", "/srv/marker"], timeout=5).output == "remote\n"
    finally:
        probe.close()


# -- what is refused, and how it is said ----------------------------------------------------------

def test_an_unknown_host_key_is_refused_and_never_accepted(server: SshServer, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    home = client_home(tmp_path / "home", server, trust=False)
    monkeypatch.setenv("HOME", str(home))
    error = refused(server.url)
    assert "not in ~/.ssh/known_hosts" in str(error) and "never accepts an unknown key" in str(error)
    assert f"ssh-keyscan -p {server.port} 127.0.0.1" in str(error) and error.dependency == "docker"
    assert (home / ".ssh" / "known_hosts").read_text() == ""  # nothing was written there


def test_a_host_key_that_changed_is_refused(server: SshServer, sshd_factory: Callable[..., SshServer],
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = sshd_factory()
    home = client_home(tmp_path / "home", server)
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{server.port} {other.host_key_line}\n")
    monkeypatch.setenv("HOME", str(home))
    assert "is not the one in ~/.ssh/known_hosts" in str(refused(server.url))


def test_a_refused_port_is_unreachable(trusted_home: Path) -> None:
    port = free_port()
    error = refused(f"ssh://root@127.0.0.1:{port}")
    assert f"no ssh server answers on 127.0.0.1:{port}" in str(error)


def test_a_rejected_key_says_how_to_give_one(server: SshServer, trusted_home: Path) -> None:
    error = refused(f"ssh://nobody@127.0.0.1:{server.port}")
    assert "ssh authentication as nobody failed" in str(error) and "IdentityFile" in str(error)


def test_a_remote_without_the_docker_cli_says_so(sshd_factory: Callable[..., SshServer], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Every session runs a docker that is not there, as on a host without the docker CLI.
    bare = sshd_factory("ForceCommand /nonexistent/docker system dial-stdio")
    monkeypatch.setenv("HOME", str(client_home(tmp_path / "home", bare)))
    error = refused(bare.url)
    assert "the docker CLI must be on root's PATH" in str(error) and "docker system dial-stdio" in str(error)


def test_a_silent_ssh_server_costs_one_timeout(tcp_black_hole: BlackHole, trusted_home: Path) -> None:
    began = time.monotonic()
    with pytest.raises(ProbeTimeout, match="did not complete in time"):
        DockerProbe(f"ssh://root@{tcp_black_hole.host}:{tcp_black_hole.port}", timeout=2).client  # noqa: B018
    assert time.monotonic() - began < 8
