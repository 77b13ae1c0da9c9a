"""The ASGI application: `uvicorn app.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from app.db import dispose_engine, init_engine
from app.errors import CodedError, coded_error_handler
from app.faults import maybe_crash
from app.logs import configure_logging, get_logger
from app.middleware import RequestContextMiddleware
from app.redis_client import get_redis
from app.routes import admin, auth, health, sessions
from app.routes import metrics as metrics_routes
from app.settings import get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    init_engine()
    # The platform's backend does not start while Redis is unreachable.
    get_redis().ping()
    get_logger().info("worker.start", api_prefix=settings.api_prefix, environment=settings.environment,
                      redis_required=settings.redis_required)
    yield
    dispose_engine()


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    prefix = settings.api_prefix
    app = FastAPI(title="exam platform (examday sandbox)", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None, dependencies=[Depends(maybe_crash)])
    app.add_exception_handler(CodedError, coded_error_handler)
    app.add_middleware(RequestContextMiddleware,
                       sampled_paths=("/health", "/metrics", f"{prefix}/health", "/"))
    for router in (health.root_router, metrics_routes.router, health.prefixed_router, auth.router,
                   sessions.router, admin.router):
        app.include_router(router)
    return app


app = create_app()
