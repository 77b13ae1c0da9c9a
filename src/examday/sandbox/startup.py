"""`examday sandbox up` and `reset`: start the stack (lifecycle), then walk back to its stage (stages).

Kept apart from both so that the arrow runs one way: stages builds on lifecycle, and this
module on both.
"""

from __future__ import annotations

import time

from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.stages import apply_stage


def sandbox_up(sandbox: Sandbox) -> None:
    """Start (or update) the sandbox; a whole-stack start runs every service, so the recorded
    stage is applied again. A failure takes the half-started stack down, volumes kept."""
    started = sandbox.start_containers()
    try:
        apply_stage(sandbox, sandbox.state.stage())
    except BaseException:
        sandbox.take_half_started_stack_down()
        raise
    sandbox.report(f"sandbox up in {time.monotonic() - started:.0f} s")


def sandbox_reset(sandbox: Sandbox) -> None:
    """Back to a freshly seeded sandbox: data, stage and faults wiped; CA and secrets kept."""
    sandbox.wipe()
    sandbox_up(sandbox)
