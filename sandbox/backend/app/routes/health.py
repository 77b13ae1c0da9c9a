"""Liveness (/health, {prefix}/health) and readiness ({prefix}/ready).

/ready always answers HTTP 200 with the verdict in the body, and has NO per-check
timeout: with Redis down it takes as long as redis-py's timeouts and retries (and the
name resolution of a stopped container) take; with the database down, up to the
10 s connect timeout.
"""

from __future__ import annotations

from typing import Any

import redis
from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from app.context import current_request_id
from app.db import get_engine
from app.redis_client import get_redis
from app.routes import api_router
from app.settings import get_settings

MESSAGE_CHARS = 200

root_router = APIRouter()
prefixed_router = api_router()


@root_router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


prefixed_router.add_api_route("/health", health, methods=["GET"])


def _message(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    first = (str(original).strip().splitlines() or [type(original).__name__])[0]
    return f"{type(original).__name__}: {first}"[:MESSAGE_CHARS]


def check_db() -> dict[str, str]:
    try:
        with get_engine().connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        return {"status": "down", "message": _message(exc)}
    return {"status": "ok", "message": "connected"}


def check_redis() -> dict[str, str]:
    try:
        get_redis().ping()
    except redis.RedisError as exc:
        return {"status": "down", "message": _message(exc)}
    return {"status": "ok", "message": "connected"}


def overall(db: dict[str, str], cache: dict[str, str]) -> str:
    if db["status"] == "down":
        return "down"
    if cache["status"] == "down":
        return "down" if get_settings().redis_required else "degraded"
    return "ok"


@prefixed_router.get("/ready")
def ready() -> dict[str, Any]:
    db, cache = check_db(), check_redis()
    return {"status": overall(db, cache), "checks": {"db": db, "redis": cache}, "request_id": current_request_id()}
