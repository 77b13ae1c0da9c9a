"""What every fault is made of (Fault, Undo), and how faults touch the sandbox: SQL as the
database owner, redis-cli, compose variables, the backend's fault knobs and its recreation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.stages import apply_stage
from examday.sandbox.state import read_env_file, write_env_file


Undo = dict[str, Any]
WORKER_REPLACEMENT_SECONDS = 10


@dataclass(frozen=True)
class Fault:
    name: str
    summary: str
    apply: Callable[[Sandbox], Undo]
    clear: Callable[[Sandbox, Undo], None]


def psql(sandbox: Sandbox, sql: str) -> str:
    """Run SQL as the database owner inside the postgres container (sandbox only)."""
    return sandbox.platform().exec_checked(
        "postgres", ["psql", "-v", "ON_ERROR_STOP=1", "-qAt", "-U", "exam_user", "-d", "exam_platform",
                     "-c", sql])


def reapply_stage(sandbox: Sandbox, _undo: Undo) -> None:
    apply_stage(sandbox, sandbox.state.stage())


def set_compose_vars(sandbox: Sandbox, updates: dict[str, str | None]) -> None:
    values = read_env_file(sandbox.paths.compose_env)
    for key, value in updates.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    write_env_file(sandbox.paths.compose_env, values, "compose variables set by examday sandbox faults")


def redis_cli(sandbox: Sandbox, *args: str) -> str:
    return sandbox.platform().exec_checked("redis", ["redis-cli", *args])


def restart_backend(sandbox: Sandbox) -> None:
    """Recreate the backend when its compose configuration changed (env file, variables)."""
    # Compose refuses to start it while a dependency is unhealthy, as after a drill that froze
    # the database or stopped Redis (the health check has yet to pass again).
    sandbox.wait_healthy(sandbox.platform(), services=("postgres", "redis"))
    sandbox.compose.up("backend")
    sandbox.wait_healthy(sandbox.platform(), services=("backend",))


def set_backend_knobs(sandbox: Sandbox, updates: dict[str, str | None]) -> None:
    sandbox.state.set_sandbox_faults_env(updates)
    restart_backend(sandbox)
