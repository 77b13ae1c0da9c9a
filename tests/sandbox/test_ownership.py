"""Whose stack it is: a restart of the database keeps it this checkout's; a stranger's password does not."""

from __future__ import annotations

import pytest

from examday.sandbox.errors import SandboxError
from examday.sandbox.lifecycle import Sandbox, postgres_volume_marker

pytestmark = pytest.mark.sandbox


def test_a_database_restart_moves_the_volume_mark_and_the_stack_stays_ours(sandbox: Sandbox):
    """The engine reports a local volume's time from its folder, which PostgreSQL touches at every start:
    a mark of that time alone read a restarted database as another checkout's and refused every fault."""
    platform = sandbox.platform()
    before = postgres_volume_marker(platform)
    platform.require("postgres").restart(timeout=10)
    sandbox.wait_healthy(platform, services=("postgres",))
    moved = postgres_volume_marker(platform)
    assert moved != before  # what broke the old mark
    sandbox.require_own_stack(platform)  # no refusal
    assert sandbox.state.volume_marker() == moved


def test_a_database_that_refuses_this_checkouts_password_is_another_checkouts(sandbox: Sandbox, tmp_path):
    platform = sandbox.platform()
    kept_mark, kept_password = sandbox.state.volume_marker(), sandbox.paths.postgres_password.read_text()
    try:
        sandbox.state.set_volume_marker("examday-sandbox_postgres_data@another-checkout")
        sandbox.paths.postgres_password.write_text("not-the-password\n")
        with pytest.raises(SandboxError, match="started from another checkout"):
            sandbox.require_own_stack(platform)
    finally:
        sandbox.paths.postgres_password.write_text(kept_password)
        sandbox.state.set_volume_marker(kept_mark)
