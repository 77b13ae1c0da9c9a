"""A Docker engine on another host over ssh (``[docker] host = "ssh://user@host[:port]"``), through the
Docker SDK's paramiko transport, with every step bounded and every failure said plainly.

The SDK reads ``~/.ssh/config`` (HostName, Port, User, IdentityFile, ProxyCommand) and
``~/.ssh/known_hosts``, and refuses a host whose key is not there (paramiko's RejectPolicy): examday
never accepts an unknown host key. On the remote host it runs ``docker system dial-stdio``, so that
host needs the docker CLI, and the user the right to use its engine.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import docker
import docker.api.client
import paramiko
import requests.exceptions
from docker.transport import SSHHTTPAdapter

from examday.probes.errors import ProbeError, ProbeTimeout, Unreachable

DEPENDENCY = "docker"
SSH_PORT = 22
# paramiko logs a failed handshake with its traceback; the probe's error already says what failed.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


class _BoundedSSHAdapter(SSHHTTPAdapter):  # type: ignore[misc]
    """The SDK's adapter, with a time bound on the ssh connect, banner, authentication and each channel:
    the SDK passes none, so a silent host would hold the phase for the kernel's TCP timeout (minutes),
    and a hung session for paramiko's hour-long channel timeout. It also defaults the port to 22,
    which the SDK leaves as None for a URL without one."""

    bound_seconds = 5.0

    def _connect(self) -> None:
        if self.ssh_client is None:
            return
        params = {**self.ssh_params, "port": int(self.ssh_params.get("port") or SSH_PORT)}
        bound = self.bound_seconds
        started = time.monotonic()
        try:
            self.ssh_client.connect(**params, timeout=bound, banner_timeout=bound, auth_timeout=bound,
                                    channel_timeout=bound)
        except paramiko.SSHException as error:
            # A server that never sends its banner ends, depending on a race in paramiko's transport
            # thread, as "Error reading SSH protocol banner" or "No existing session": after the
            # whole bound, either is the server not answering.
            if time.monotonic() - started >= bound:
                raise TimeoutError(f"no answer within {bound:g}s ({error})") from error
            raise


# The SDK builds its adapter by this module-level name while it constructs the client: the swap
# lasts only for that construction, under a lock so two probes opening at once cannot interleave it.
_ADAPTER_SWAP = threading.Lock()


def ssh_client(base_url: str, timeout: float) -> docker.DockerClient:
    """A client for the engine at ``base_url`` (ssh://), connected and authenticated within ``timeout``."""
    bounded = type("BoundedSSHAdapter", (_BoundedSSHAdapter,), {"bound_seconds": timeout})
    with _ADAPTER_SWAP:
        original = docker.api.client.SSHHTTPAdapter
        docker.api.client.SSHHTTPAdapter = bounded
        try:
            return docker.DockerClient(base_url=base_url, timeout=timeout)
        finally:
            docker.api.client.SSHHTTPAdapter = original


# -- what went wrong, in the operator's words ---------------------------------------------------

def ssh_engine_error(error: BaseException, chain: Iterable[BaseException], base_url: str) -> ProbeError | None:
    """The ssh reason ``error`` (with its ``chain`` of causes) happened, or None when it is not an ssh one."""
    causes = list(chain)
    target = _where(base_url)
    for cause in causes:
        found = _ssh_cause(cause, base_url, target)
        if found is not None:
            return found
    ssh_failure = next((cause for cause in causes if isinstance(cause, paramiko.SSHException)), None)
    if ssh_failure is not None:
        return Unreachable(f"docker engine at {base_url}: ssh failed: {ssh_failure}", dependency=DEPENDENCY)
    if any(isinstance(cause, (requests.exceptions.ConnectionError, ConnectionError, EOFError)) for cause in causes):
        return Unreachable(
            f"docker engine at {base_url}: the ssh session closed before the engine answered ({error}). On "
            f"{target.host}: the docker CLI must be on {target.user}'s PATH (examday runs `docker system "
            f"dial-stdio` there), dockerd must run, and {target.user} must be allowed to use it (docker group)",
            dependency=DEPENDENCY)
    return None


class _Target(NamedTuple):
    user: str
    host: str
    port: int


def _where(base_url: str) -> _Target:
    parts = urlsplit(base_url)
    return _Target(parts.username or "the ssh user", parts.hostname or "?", parts.port or SSH_PORT)


def _ssh_cause(cause: BaseException, base_url: str, target: _Target) -> ProbeError | None:
    if isinstance(cause, paramiko.BadHostKeyException):
        return Unreachable(f"docker engine at {base_url}: the host key of {target.host} is not the one in "
                           "~/.ssh/known_hosts; it changed or this is another host. Find out why before "
                           "replacing the entry", dependency=DEPENDENCY)
    if isinstance(cause, paramiko.SSHException) and "not found in known_hosts" in str(cause):
        return Unreachable(f"docker engine at {base_url}: the host key of {target.host} is not in "
                           f"~/.ssh/known_hosts, and examday never accepts an unknown key. Check its fingerprint "
                           f"with the host's owner, then add it (`ssh-keyscan -p {target.port} {target.host}` "
                           "prints it)", dependency=DEPENDENCY)
    if isinstance(cause, paramiko.AuthenticationException):
        return Unreachable(f"docker engine at {base_url}: ssh authentication as {target.user} failed ({cause}). "
                           "Give the key with IdentityFile in ~/.ssh/config or load it into ssh-agent, and check "
                           f"that {target.host} lists it in authorized_keys", dependency=DEPENDENCY)
    if isinstance(cause, paramiko.ssh_exception.NoValidConnectionsError):
        return Unreachable(f"docker engine at {base_url}: no ssh server answers on {target.host}:{target.port} "
                           f"({cause.strerror or cause}); check the host, the port and that sshd runs",
                           dependency=DEPENDENCY)
    if isinstance(cause, (socket.timeout, TimeoutError)):
        return ProbeTimeout(f"docker engine at {base_url}: the ssh connection to {target.host}:{target.port} "
                            "did not complete in time; check the network path (a firewall dropping packets?)",
                            dependency=DEPENDENCY)
    return None


def is_ssh(base_url: Any) -> bool:
    return isinstance(base_url, str) and base_url.startswith("ssh://")
