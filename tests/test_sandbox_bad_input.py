"""`examday sandbox` on bad ground: one clear message, exit 2, nothing started."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def sandbox_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "examday.cli.main", "sandbox", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **env})


def test_up_without_a_docker_engine_names_the_cause_and_the_fix():
    done = sandbox_cli("up", DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert done.returncode == 2
    assert "no Docker engine answers" in done.stderr and "make setup" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.sandbox
def test_up_with_a_port_taken_names_the_port_and_how_to_move(sandbox):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        done = sandbox_cli("up", EXAMDAY_PORT_FRONTEND=str(port))
    assert done.returncode == 2
    assert f"127.0.0.1:{port} (EXAMDAY_PORT_FRONTEND)" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_status_without_an_engine_is_one_message():
    done = sandbox_cli("status", DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert done.returncode == 2
    assert "no Docker engine answers" in done.stderr
