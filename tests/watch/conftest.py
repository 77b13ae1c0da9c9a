"""Fixtures for `examday watch` on the sandbox: the during stage, a freeze baseline, target configs.

The sandbox is shared with other test runs: these fixtures change its stage to
`during` when it is elsewhere, and back afterwards, and nothing else (no
faults, no `up`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from examday.config import load_config
from examday.facts.baseline import baseline_path
from examday.sandbox.lifecycle import Sandbox
from examday.sandbox.stages import apply_stage
from tests.checks.runner import run_checklist, sandbox_config

LOG_WINDOW_MINUTES = 0.5  # recent traffic only: a slow minute from another test run fades quickly


@dataclass(frozen=True)
class WatchTargets:
    healthy: Path  # the sandbox's examday.toml, absolute paths, a baseline folder in tmp
    failing: Path  # the same with [thresholds] p95_ms = 0.001: DUR-LAT-01 fails whenever there is traffic


@pytest.fixture(scope="module")
def during_sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox.open()
    if not any(s.service == "backend" and s.ready for s in sandbox.status()):
        pytest.fail("the sandbox is not up: start it with `examday sandbox up`")
    previous = sandbox.state.stage()
    if previous != "during":
        apply_stage(sandbox, "during")
        # Simulated students answering: traffic in the log window. Their opening burst (sign-ins
        # and session creates, slow on 2 cores) must leave the window first: DUR-LAT-03 judges routes.
        time.sleep(LOG_WINDOW_MINUTES * 60 + 10)
    try:
        yield sandbox
    finally:
        if sandbox.state.stage() != previous:
            apply_stage(sandbox, previous)


@pytest.fixture(scope="module")
def watch_targets(during_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> WatchTargets:
    folder = tmp_path_factory.mktemp("targets")
    common = {"baseline": {"dir": str(folder / "baselines")}, "logs": {"window_minutes": LOG_WINDOW_MINUTES}}
    (folder / "healthy").mkdir()
    (folder / "failing").mkdir()
    targets = WatchTargets(sandbox_config(folder / "healthy", **common),
                           sandbox_config(folder / "failing", thresholds={"p95_ms": 0.001}, **common))
    # The during phase compares against the freeze's baseline (DUR-DRF-01): take one, in tmp.
    freeze = run_checklist("freeze", folder, f"--target={targets.healthy}")
    assert baseline_path(load_config(targets.healthy)).exists(), freeze.stdout[-3000:]
    return targets
