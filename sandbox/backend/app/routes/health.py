"""Liveness (/health) and readiness ({API_PREFIX}/ready).

/ready always answers HTTP 200: the verdict is in the body ("ok", "degraded",
"down"), as on the real platform, so a check must read the body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import redis
from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from app.context import current_request_id
from app.db import get_engine
from app.redis_client import get_redis
from app.routes import api_router
from app.settings import get_settings

CHECK_TIMEOUT_SECONDS = 3
READY_PROBE_KEY = "ready:probe"
MESSAGE_CHARS = 200

root_router = APIRouter()
prefixed_router = api_router()


@root_router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


# The real platform also answers {API_PREFIX}/health (its deploy notes curl /v1/health).
prefixed_router.add_api_route("/health", health, methods=["GET"])


def _error_message(exc: BaseException) -> str:
    # SQLAlchemy wraps driver errors; the driver's first line says what happened.
    original = getattr(exc, "orig", None) or exc
    first_line = (str(original).strip().splitlines() or [type(original).__name__])[0]
    return f"{type(original).__name__}: {first_line}"[:MESSAGE_CHARS]


def _check_db() -> dict[str, str]:
    try:
        with get_engine().connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        return {"status": "down", "message": _error_message(exc)}
    return {"status": "ok", "message": "SELECT 1 succeeded"}


def _check_redis() -> dict[str, str]:
    client = get_redis()
    if client is None:
        return {"status": "disabled", "message": "REDIS_ENABLED is false"}
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"status": "down", "message": f"ping failed: {_error_message(exc)}"}
    try:
        # A Redis at maxmemory with noeviction still answers PING but refuses
        # writes, and this app writes on every request (rate limits).
        client.set(READY_PROBE_KEY, "1", ex=10)
    except redis.RedisError as exc:
        return {"status": "down", "message": f"write probe failed: {_error_message(exc)}"}
    return {"status": "ok", "message": "PING and write probe succeeded"}


async def _bounded(check: Callable[[], dict[str, str]]) -> dict[str, str]:
    try:
        with anyio.fail_after(CHECK_TIMEOUT_SECONDS):
            return await anyio.to_thread.run_sync(check, abandon_on_cancel=True)
    except TimeoutError:
        return {"status": "down", "message": f"no answer within {CHECK_TIMEOUT_SECONDS} s"}


def overall_status(db: dict[str, str], cache: dict[str, str]) -> str:
    if db["status"] == "down":
        return "down"
    if cache["status"] == "down":
        return "down" if get_settings().redis_required else "degraded"
    return "ok"


@prefixed_router.get("/ready")
async def ready() -> dict[str, Any]:
    results: dict[str, dict[str, str]] = {}

    async def run(name: str, check: Callable[[], dict[str, str]]) -> None:
        results[name] = await _bounded(check)

    async with anyio.create_task_group() as group:
        group.start_soon(run, "db", _check_db)
        group.start_soon(run, "redis", _check_redis)
    return {
        "status": overall_status(results["db"], results["redis"]),
        "checks": {"db": results["db"], "redis": results["redis"]},
        "request_id": current_request_id(),
    }
