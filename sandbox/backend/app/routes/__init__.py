"""HTTP routes, one module per area of the API."""

from __future__ import annotations

from fastapi import APIRouter

from app.settings import get_settings


def api_router(area: str = "") -> APIRouter:
    """A router whose routes carry the full API_PREFIX in their own path.

    The prefix is baked in here rather than passed to include_router so the
    route template seen by the middleware (scope["route"].path) is the full
    one ("/v1/sessions/{session_id}") on every FastAPI version: newer ones no
    longer copy included routes under their prefix.
    """
    return APIRouter(prefix=get_settings().api_prefix + area)
