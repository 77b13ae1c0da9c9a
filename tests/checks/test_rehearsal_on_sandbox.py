"""`pytest -m rehearsal` on the sandbox: the drills pass; a deliberately broken sandbox (rate limiting
that fails closed, a single backend worker, sign-ins a restart forgets, connections a stalled database
leaves checked out) fails the matching drill, saying which promise broke."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from examday.sandbox.faults import clear, inject
from examday.sandbox.stages import apply_stage
from examday.sandbox.startup import sandbox_reset
from examday.sandbox.lifecycle import Sandbox
from tests.checks.conftest import at_stage
from examday.sandbox.layout import SandboxPaths
from tests.report.helpers import files_holding, planted_secrets
from tests.checks.runner import fails_exactly, fails_for, run_checklist, sandbox_config

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

DRILLS = {"REH-RED-01", "REH-WRK-01", "REH-RST-01", "REH-DBL-01", "REH-EMG-01", "REH-EMG-02", "REH-EMG-03"}
SHORT = {"steady_seconds": 6, "redis_outage_seconds": 20, "db_latency_seconds": 12, "db_outage_seconds": 8,
         "students": 40}


@pytest.fixture(scope="module")
def frozen(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield from at_stage(sandbox, "freeze")


def rehearse(tmp_path: Path, *args: str, reports_dir: Path | None = None, **rehearsal):
    config = sandbox_config(tmp_path, rehearsal={**SHORT, **rehearsal})
    return run_checklist("rehearsal", tmp_path, f"--target={config}", *args, timeout=600, reports_dir=reports_dir)


def test_the_drills_run_on_the_twin_and_leave_a_record_with_the_plot(frozen, tmp_path):
    """Three drills pass; the Redis drill fails as the real platform does (docs/platform.md: no circuit
    breaker, every call touching a stopped Redis waits on it; a login took 35 s on a local build)."""
    run = rehearse(tmp_path, reports_dir=tmp_path / "reports")
    assert run.ids_with("passed") == DRILLS - {"REH-RED-01"}, run.stdout[-4000:]
    redis_drill = fails_for(run, "REH-RED-01", "promise broken")
    assert "login failed: timeout" in redis_drill.message or "waited for it" in redis_drill.message
    for result in run.items:
        reconciliation = result.evidence["reconciliation"]
        assert reconciliation["acknowledged_answers"] > 0 and reconciliation["missing_or_different"] == 0
        assert result.evidence["latency_ms"]["p95"] > 0 and result.evidence["throughput_rps"] > 0
    [redis] = run.by_id("REH-RED-01")
    assert redis.evidence["fault_window_s"][1] - redis.evidence["fault_window_s"][0] >= SHORT["redis_outage_seconds"]
    [record] = (tmp_path / "reports").rglob("checklist.html")
    page = record.read_text()
    assert page.count('<g class="fault-window"') == len(DRILLS) and "<script" not in page
    results = json.loads((record.parent / "results.json").read_text())
    assert all(item["figures"] for item in results["items"])
    assert files_holding(tmp_path / "reports", planted_secrets(SandboxPaths.default())) == {}


# A frozen database stalls only the requests that meet a freeze: 400 ms of every 500 ms stalls
# nearly all, so the leaking sandbox uses up every worker's pool within the drill.
MOSTLY_FROZEN = {"db_freeze_ms": 400, "db_freeze_period_ms": 500}


@pytest.mark.parametrize("fault, drill, select, settings, says", [
    ("rate-limit-fails-closed", "REH-RED-01", "redis", {}, "rate limiting did not fail open"),
    ("single-worker", "REH-WRK-01", "worker", {}, "no other worker can keep serving"),
    ("sign-ins-lost-on-restart", "REH-RST-01", "backend_restart", {}, "the restart signed students out"),
    ("sign-ins-lost-on-restart", "REH-EMG-01", "full_system_restart", {}, "the full restart signed students out"),
    ("previous-image-gone", "REH-EMG-03", "rollback", {}, "no previous image to roll back to for: exam_platform_frontend"),
    ("connections-leak-after-stall", "REH-DBL-01", "database_latency", MOSTLY_FROZEN,
     "p95 did not recover after the database did"),
    # The requests the frozen database held keep their connections, and its restart frees none of
    # them: with more students waiting than the 3 workers' 60 pooled connections, every pool is used up.
    ("connections-leak-after-stall", "REH-EMG-02", "database_unresponsive", {"students": 100},
     "did not recover on its own"),
])
def test_a_broken_sandbox_fails_the_matching_drill(frozen, tmp_path, fault, drill, select, settings, says):
    inject(frozen, fault)
    try:
        run = rehearse(tmp_path, "-k", select, **settings)
    finally:
        clear(frozen, fault)
        if drill == "REH-EMG-02":
            start_afresh(frozen)
    fails_exactly(run, {drill: says})
    [result] = run.by_id(drill)
    assert "promise broken" in result.message


def start_afresh(sandbox: Sandbox) -> None:
    """The broken database drill leaves its students' sessions open (their hand-ins met used-up pools),
    and the platform lets a student open a second ACTIVE one: later students would break the invariant
    (tests/sandbox/test_timeline.py saw 34 such pairs). A freshly seeded sandbox, back at the freeze."""
    sandbox_reset(sandbox)
    apply_stage(sandbox, "freeze")


def test_production_is_refused_before_anything_runs(sandbox, tmp_path):
    config = sandbox_config(tmp_path, target={"name": "prod", "kind": "production"})
    run = run_checklist("rehearsal", tmp_path, f"--target={config}")
    assert run.exit_code == pytest.ExitCode.USAGE_ERROR and not run.items
    assert "refusing the rehearsal phase against prod" in run.stdout


def _started_at(container: str) -> str:
    import docker

    return docker.from_env().containers.get(container).attrs["State"]["StartedAt"]


@pytest.mark.parametrize("state, says", [
    # a staging copy that kept the default names, which are production's: it would drill exam_platform_redis
    ({"target": {"name": "staging", "kind": "staging"},
      "docker.containers": {"postgres": None, "redis": None, "backend": None}}, "default names"),
    ({"rehearsal": {"allowed": False}}, "does not opt in"),
])
def test_a_target_the_drills_may_not_touch_is_refused_before_anything_runs(sandbox, tmp_path, state, says):
    before = _started_at("exam_platform_redis")
    sections = {k: v for k, v in state.items() if k != "docker.containers"}
    config = sandbox_config(tmp_path, **sections)
    if "docker.containers" in state:  # sandbox_config's sections are top-level tables
        data = tomllib.loads(config.read_text())
        for role in state["docker.containers"]:
            del data["docker"]["containers"][role]
        config.write_text(tomli_w.dumps(data))
    run = run_checklist("rehearsal", tmp_path, f"--target={config}")
    assert run.exit_code == pytest.ExitCode.USAGE_ERROR and not run.items, run.stdout[-2000:]
    assert says in run.stdout
    assert _started_at("exam_platform_redis") == before


def test_containers_the_production_target_names_are_refused(sandbox, tmp_path):
    production = sandbox_config(tmp_path / "production", target={"name": "live", "kind": "production"})
    run = run_checklist("rehearsal", tmp_path, f"--production-target={production}")
    assert run.exit_code == pytest.ExitCode.USAGE_ERROR and not run.items
    assert "exam_platform_redis" in run.stdout and "live names too" in run.stdout


def test_load_outside_the_targets_own_addresses_is_refused(frozen, tmp_path):
    run = rehearse(tmp_path, "-k", "redis", allowed_networks=["10.99.0.0/16"])
    [result] = run.by_id("REH-RED-01")
    assert result.outcome in ("failed", "error") and "127.0.0.1" in result.message
