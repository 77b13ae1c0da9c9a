"""GET /metrics: this worker's own registry (no multiprocess mode)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app import metrics

router = APIRouter()


@router.get("/metrics")
def prometheus_metrics() -> Response:
    body, content_type = metrics.render_latest()
    return Response(content=body, media_type=content_type)
