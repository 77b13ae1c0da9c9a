"""`python -m app.jobs.run KEY`: one background job, then exit (cron starts it).

Keys: revision_queue_regen, warehouse_incremental_export, fsrs_train_user. A job
started while exam mode is on (the system_flags row) exits 0 saying it skipped.
Each job does a small real piece of work: read-only aggregate queries whose results
it logs (the platform's jobs write tables the sandbox does not model).

SANDBOX_FAULT_JOB_HOLD_SECONDS (a sandbox extension, 0 = off) keeps the job running
that long after its work, without looking at exam mode: it stands for a job that was
started before exam mode went on and is still running (the `job-running` fault).
"""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import get_engine, init_engine
from app.flags import EXAM_MODE, get_flag
from app.logs import configure_logging, get_logger
from app.settings import SettingsError, get_settings

JOBS = {
    "revision_queue_regen": (
        "SELECT count(DISTINCT s.user_id) AS users, count(*) AS wrong_answers FROM session_answers a "
        "JOIN test_sessions s ON s.id = a.session_id WHERE a.is_correct IS FALSE AND a.selected_index IS NOT NULL"),
    "warehouse_incremental_export": (
        "SELECT count(*) AS events, max(event_ts) AS newest FROM attempt_events "
        "WHERE event_ts > now() - interval '1 day'"),
    "fsrs_train_user": (
        "SELECT count(*) AS answers, count(DISTINCT session_id) AS sessions FROM session_answers "
        "WHERE answered_at > now() - interval '30 days'"),
}

_log = get_logger()


def _stop(signum: int, _frame: FrameType | None) -> None:
    _log.info("job.stopped", signal=signal.Signals(signum).name)
    sys.exit(0)


def run(key: str) -> int:
    settings = get_settings()
    hold = settings.fault_job_hold_seconds
    init_engine("exam_platform_job")
    if hold <= 0:
        flag = get_flag(EXAM_MODE)
        if flag.enabled:
            _log.info("job.skipped", job=key, reason="exam mode is on", source=flag.source)
            return 0
    started = time.perf_counter()
    _log.info("job.start", job=key)
    with get_engine().connect() as conn:
        row = conn.execute(text(JOBS[key])).one()
    result = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()}
    _log.info("job.done", job=key, duration_ms=int((time.perf_counter() - started) * 1000), **result)
    if hold > 0:
        _log.info("job.holding", job=key, seconds=hold)
        time.sleep(hold)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in JOBS:
        print(f"usage: python -m app.jobs.run {{{'|'.join(JOBS)}}}", file=sys.stderr)
        return 2
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    signal.signal(signal.SIGTERM, _stop)
    try:
        return run(args[0])
    except SQLAlchemyError as exc:
        _log.error("job.failed", job=args[0], reason=str(getattr(exc, "orig", exc)).strip()[:200])
        return 1


if __name__ == "__main__":
    sys.exit(main())
