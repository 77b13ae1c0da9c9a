"""Faults under the simulated students' load: locks that hold the backend's pool or slow answers."""

from __future__ import annotations

from examday.sandbox.errors import SandboxError
from examday.sandbox.faults.base import Fault, Undo, psql
from examday.sandbox.lifecycle import Sandbox


LOCKER_APP = "examday-sandbox-fault"  # application_name of the fault's own database session
LOCK_EVENTS = "BEGIN; LOCK TABLE attempt_events IN EXCLUSIVE MODE; SELECT pg_sleep({seconds}); COMMIT;"
SLOW_FLAG = "/tmp/examday-slow-endpoint"


def _require_students(sandbox: Sandbox) -> None:
    if not sandbox.platform().state("students").running:
        raise SandboxError("this fault acts under load: no simulated students are answering",
                           "walk the sandbox to the exam first: `examday sandbox stage during`")


def _psql_detached(sandbox: Sandbox, script: str) -> None:
    """Run a shell script in the postgres container in the background (docker exec -d)."""
    container = sandbox.platform().require("postgres")
    container.exec_run(["sh", "-c", script], detach=True,
                       environment={"PGAPPNAME": LOCKER_APP, "PGUSER": "exam_user", "PGDATABASE": "exam_platform"})


def _release_locks(sandbox: Sandbox) -> None:
    psql(sandbox, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{LOCKER_APP}'")


BURST_MARK = "examday-pool-pressure-burst"  # in the burst simulator's argv, to stop it by name
BURST_ENV = {"SIMULATE_FIRST_STUDENT": "1", "SIMULATE_LAST_STUDENT": "60", "SIMULATE_CONCURRENCY": "60",
             "SIMULATE_RATE_PER_SECOND": "100", "SIMULATE_THINK_SECONDS": "0.2",
             "SIMULATE_DURATION_SECONDS": "300",
             # its own file: the burst's students are not the answering students
             "SIMULATE_SESSIONS_FILE": "/var/lib/simulate/burst-sessions.json"}


def _pool_pressure(sandbox: Sandbox) -> Undo:
    # A long transaction holds a lock every answer needs while a burst of 60 more students
    # answers: their requests pile up, each holding a pooled connection, until the
    # backend's pools (workers x (pool_size + max_overflow)) are exhausted.
    _require_students(sandbox)
    _psql_detached(sandbox, "psql -qc '" + LOCK_EVENTS.format(seconds=900) + "'")
    sandbox.platform().require("students").exec_run(
        ["python", "-m", "app.simulate", BURST_MARK], detach=True, environment=BURST_ENV)
    return {}


def _pool_released(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.platform().exec("students", ["pkill", "-f", BURST_MARK])
    _release_locks(sandbox)


def _slow_endpoint(sandbox: Sandbox) -> Undo:
    # Short locks, again and again: saving an answer takes up to a second, slow but not failing.
    _require_students(sandbox)
    _psql_detached(sandbox, f"touch {SLOW_FLAG}; while [ -e {SLOW_FLAG} ]; do "
                            "psql -qc '" + LOCK_EVENTS.format(seconds=1.0) + "'; sleep 0.2; done")
    return {}


def _slow_endpoint_fixed(sandbox: Sandbox, _undo: Undo) -> None:
    sandbox.platform().exec_checked("postgres", ["rm", "-f", SLOW_FLAG])
    _release_locks(sandbox)


CATALOG: tuple[Fault, ...] = (
    Fault("pool-pressure", "a long lock on attempt_events: answering requests hold the backend's pool",
              _pool_pressure, _pool_released),
    Fault("slow-endpoint", "saving an answer takes up to 1 s (repeated short locks on attempt_events)",
              _slow_endpoint, _slow_endpoint_fixed),
)
