"""System flags (EXAM_MODE, FREEZE_UPDATES): the system_flags table is the truth.

Each worker process caches each flag for SYSTEM_FLAGS_CACHE_TTL_SECONDS (10 s): a
change made through one worker reaches the others within that. A failed read keeps
the last value (or false before any read succeeded). No code reads an EXAM_MODE env var.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import get_engine
from app.logs import get_logger
from app.settings import get_settings

EXAM_MODE = "EXAM_MODE"
FREEZE_UPDATES = "FREEZE_UPDATES"

_log = get_logger()
_lock = threading.Lock()


@dataclass(frozen=True)
class Flag:
    key: str
    enabled: bool
    updated_at: Any
    updated_by: Any
    reason: str | None
    source: str  # database | cache | default (no row) | stale (read failed, last value kept)


_cache: dict[str, tuple[Flag, float]] = {}


def _read(key: str) -> Flag:
    with get_engine().connect() as conn:
        row = conn.execute(text("SELECT value, updated_at, updated_by, reason FROM system_flags WHERE key = :k"),
                           {"k": key}).first()
    if row is None:
        return Flag(key, False, None, None, None, "default")
    return Flag(key, bool(row.value), row.updated_at, row.updated_by, row.reason, "database")


def get_flag(key: str) -> Flag:
    ttl = get_settings().system_flags_cache_ttl_seconds
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[1] < ttl:
        flag = cached[0]
        return Flag(flag.key, flag.enabled, flag.updated_at, flag.updated_by, flag.reason, "cache")
    try:
        flag = _read(key)
    except SQLAlchemyError as exc:
        _log.warning("system_flags.read_failed", key=key, reason=str(getattr(exc, "orig", exc))[:160])
        if cached is not None:
            old = cached[0]
            return Flag(old.key, old.enabled, old.updated_at, old.updated_by, old.reason, "stale")
        return Flag(key, False, None, None, None, "default")
    with _lock:
        _cache[key] = (flag, now)
    return flag


def set_flag(key: str, enabled: bool, user_id: str, reason: str | None) -> Flag:
    with get_engine().begin() as conn:
        conn.execute(text(
            "INSERT INTO system_flags (key, value, updated_at, updated_by, reason) "
            "VALUES (:k, :v, now(), :u, :r) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, "
            "updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by, reason = EXCLUDED.reason"),
            {"k": key, "v": enabled, "u": user_id, "r": reason})
    with _lock:
        _cache.pop(key, None)
    return get_flag(key)


def exam_mode() -> bool:
    return get_flag(EXAM_MODE).enabled


def freeze_updates() -> bool:
    return get_flag(FREEZE_UPDATES).enabled
