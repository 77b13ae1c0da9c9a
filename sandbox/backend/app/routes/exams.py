"""The exam catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth import CurrentUser, current_user
from app.db import get_db
from app.routes import api_router
from app.serialize import scalar

router = api_router()


@router.get("/exams")
def list_exams(_: CurrentUser = Depends(current_user), db: Session = Depends(get_db)) -> list[dict[str, Any]]:
    rows = db.execute(text("SELECT id, code, title, duration_seconds, question_count FROM exams ORDER BY code")).all()
    return [{name: scalar(value) for name, value in row._mapping.items()} for row in rows]
