"""Read-only view of the effective exam mode, and which source decided it."""

from __future__ import annotations

import os
from typing import Any

from fastapi import Depends
from sqlalchemy.orm import Session

from app.db import get_db
from app.exam_mode import effective_exam_mode
from app.routes import api_router

router = api_router("/system")


@router.get("/exam-mode")
def exam_mode(db: Session = Depends(get_db)) -> dict[str, Any]:
    mode = effective_exam_mode(db)
    return {
        "exam_mode": mode.enabled,
        "source": mode.source,
        "env_value": mode.env_value,
        "flag_value": mode.flag_value,
        # Which worker answered: each uvicorn worker read its env at start.
        "pid": os.getpid(),
    }
