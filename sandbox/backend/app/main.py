"""The ASGI application: `uvicorn app.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import metrics
from app.db import dispose_engine, init_engine
from app.logs import configure_logging, get_logger
from app.middleware import RequestContextMiddleware
from app.routes import admin, auth, exams, health, sessions, system
from app.routes import metrics as metrics_routes
from app.settings import get_settings

# Logged at a 10% sample: health probes and scrapes dominate request volume.
HIGH_VOLUME_PATHS = ("/health", "/metrics", "/v1/health", "/")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    metrics.instrument_pool(init_engine())
    get_logger().info(
        "worker.start",
        api_prefix=settings.api_prefix,
        exam_mode_env=settings.exam_mode_env,
        redis_enabled=settings.redis_enabled,
        db_pool_size=settings.db_pool_size,
        db_max_overflow=settings.db_max_overflow,
    )
    yield
    dispose_engine()
    metrics.mark_this_process_dead()


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    prefix = settings.api_prefix
    app = FastAPI(title="exam platform (examday sandbox)", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(RequestContextMiddleware, sampled_paths=(*HIGH_VOLUME_PATHS, f"{prefix}/health"))
    # Routers already carry API_PREFIX in their paths (see routes.api_router).
    for router in (
        health.root_router,
        metrics_routes.router,
        health.prefixed_router,
        auth.router,
        exams.router,
        sessions.router,
        system.router,
        admin.router,
    ):
        app.include_router(router)
    return app


app = create_app()
