"""`examday sandbox stage STAGE`: walk the runbook's timeline on the sandbox.

Applying a stage is idempotent, which is also how configuration faults are cleared.
"""

from __future__ import annotations

from examday.sandbox.errors import SandboxError
from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.timeline import STAGES, STUDENTS_PROFILE, Stage


def apply_stage(sandbox: Sandbox, name: str) -> Stage:
    """Bring the running sandbox to stage `name`, the runbook's way."""
    stage = STAGES.get(name)
    if stage is None:
        raise SandboxError(f"unknown stage {name!r}", f"choose one of: {', '.join(STAGES)}")
    platform = sandbox.platform()
    platform.require("postgres")
    sandbox.require_own_stack(platform)
    state, compose = sandbox.state, sandbox.compose
    sandbox.report(f"stage {name}: {stage.summary}")
    if not stage.students_answer:
        # The exam ends before its configuration is reverted: students stop first,
        # so none is answering while the backend restarts.
        compose.run("--profile", STUDENTS_PROFILE, "stop", "students")
    # First the configuration the processes should be running with, applied by a
    # (re)start when it differs from what they run with (compose compares).
    state.set_platform_env(stage.running)
    sandbox.report("applying the running configuration (restarts the backend if it changed)")
    compose.up("backend")
    if stage.worker_runs:
        compose.up("worker")
    else:
        sandbox.report("stopping the background worker")
        compose.stop("worker")
    if stage.students_answer:
        sandbox.report("starting simulated students")
        compose.up("students", profiles=(STUDENTS_PROFILE,))
    # Then what the next restart will apply; for preexam this differs on purpose.
    state.set_platform_env(stage.configured)
    # A worker (re)started here counts too: until its first healthcheck it is not ready.
    sandbox.wait_healthy(platform, services=("backend", "worker") if stage.worker_runs else ("backend",))
    state.set_stage(name)
    return stage
