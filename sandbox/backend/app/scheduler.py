"""The background job runner: `python -m app.scheduler` (the worker container).

Runs the "recalculation" job every SCHEDULER_INTERVAL_SECONDS unless exam
mode is on. With SCHEDULED_JOBS_ENABLED=false it logs once and idles: the
process keeps running, which is a real exam-day state ("disabled in the
configuration, but a worker is still up") that examday must tell apart.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from app import stats
from app.db import SCHEDULER_APP_NAME, get_engine, init_engine
from app.exam_mode import effective_exam_mode
from app.logs import configure_logging, get_logger
from app.settings import SettingsError, get_settings

JOB_NAME = "recalculate"

_log = get_logger()
_stop = threading.Event()


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    _log.info("scheduler.stopping", signal=signal.Signals(signum).name)
    _stop.set()


def run_recalculation() -> None:
    with get_engine().begin() as conn:
        mode = effective_exam_mode(conn)
        if mode.enabled:
            _log.info("job.skipped", job=JOB_NAME, reason="exam_mode", source=mode.source)
            return
        started = time.perf_counter()
        _log.info("job.recalculate.start", job=JOB_NAME)
        exams = stats.recompute_exam_stats(conn)
    duration_ms = int((time.perf_counter() - started) * 1000)
    _log.info("job.recalculate.end", job=JOB_NAME, exams=exams, duration_ms=duration_ms)


def run_forever(interval_seconds: int) -> None:
    while not _stop.is_set():
        try:
            run_recalculation()
        except SQLAlchemyError as exc:
            # A database outage must not kill the worker; the next tick retries.
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
            _log.error("job.failed", job=JOB_NAME, reason=reason)
        _stop.wait(interval_seconds)


def main() -> int:
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    if not settings.scheduled_jobs_enabled:
        _log.info("scheduler.disabled", reason="SCHEDULED_JOBS_ENABLED=false")
        _stop.wait()
        _log.info("scheduler.stopped")
        return 0
    init_engine(SCHEDULER_APP_NAME)
    _log.info("scheduler.start", interval_seconds=settings.scheduler_interval_seconds, jobs=[JOB_NAME])
    run_forever(settings.scheduler_interval_seconds)
    _log.info("scheduler.stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
