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


@pytest.mark.parametrize("value, deployed", [("", "10"), ("2", "2"), ("0.5", "0.5")])
def test_the_flag_cache_is_the_platforms_10_s_unless_examdays_tests_set_it(monkeypatch, value, deployed):
    from examday.sandbox.state import platform_env_defaults

    monkeypatch.setenv("EXAMDAY_FLAGS_CACHE_TTL", value)
    assert platform_env_defaults()["SYSTEM_FLAGS_CACHE_TTL_SECONDS"] == deployed


@pytest.mark.parametrize("value", ["two", "0", "-1", "7200"])
def test_a_flag_cache_time_that_is_no_number_of_seconds_is_refused_with_the_fix(monkeypatch, value):
    from examday.sandbox.errors import SandboxError
    from examday.sandbox.state import platform_env_defaults

    monkeypatch.setenv("EXAMDAY_FLAGS_CACHE_TTL", value)
    with pytest.raises(SandboxError, match="EXAMDAY_FLAGS_CACHE_TTL.*seconds, between 0 and 3600"):
        platform_env_defaults()


def test_a_sandbox_file_that_cannot_be_read_is_one_message_with_the_fix(tmp_path, capsys):
    """Stop 26's CI: a folder where the Caddyfile belongs ended `sandbox up` in a traceback."""
    import typer

    from examday.cli.sandbox import _run

    folder = tmp_path / "Caddyfile"
    folder.mkdir()
    with pytest.raises(typer.Exit) as exited:
        _run("examday sandbox up", lambda _: folder.read_text())
    assert exited.value.exit_code == 2
    said = capsys.readouterr()
    assert f"Is a directory: {folder}" in said.err and "fix: put right what is at that path" in said.err
    assert "Traceback" not in said.out + said.err
