"""Admin API (role ADMIN): the system flags, and heavy work that exam mode blocks."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, status
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import flags
from app.auth import CurrentUser, admin_user
from app.db import get_db
from app.errors import CodedError
from app.logs import get_logger
from app.routes import api_router

router = api_router("/admin")
_log = get_logger()

PHRASES = {
    flags.EXAM_MODE: ("ENABLE EXAM MODE", "DISABLE EXAM MODE"),
    flags.FREEZE_UPDATES: ("ENABLE FREEZE UPDATES", "DISABLE FREEZE UPDATES"),
}


class FlagChange(BaseModel):
    enabled: bool
    reason: str = Field(min_length=1, max_length=500)
    confirmation_phrase: str


def _body(flag: flags.Flag) -> dict[str, Any]:
    return {
        "enabled": flag.enabled,
        "updated_at": flag.updated_at.isoformat().replace("+00:00", "Z") if flag.updated_at else None,
        "updated_by": str(flag.updated_by) if flag.updated_by else None,
        "reason": flag.reason,
        "source": flag.source,
    }


def _change(key: str, body: FlagChange, user: CurrentUser) -> dict[str, Any]:
    enable_phrase, disable_phrase = PHRASES[key]
    wanted = enable_phrase if body.enabled else disable_phrase
    if body.confirmation_phrase != wanted:
        raise CodedError(status.HTTP_400_BAD_REQUEST, "INVALID_CONFIRMATION",
                         f"confirmation_phrase must be {wanted!r}")
    flag = flags.set_flag(key, body.enabled, user.id, body.reason)
    _log.info("admin.system_flag_changed", key=key, enabled=body.enabled, by=user.id)
    return _body(flag)


@router.get("/system/exam-mode")
def get_exam_mode(_: CurrentUser = Depends(admin_user)) -> dict[str, Any]:
    return _body(flags.get_flag(flags.EXAM_MODE))


@router.post("/system/exam-mode")
def set_exam_mode(body: FlagChange, user: CurrentUser = Depends(admin_user)) -> dict[str, Any]:
    return _change(flags.EXAM_MODE, body, user)


@router.get("/system/freeze-updates")
def get_freeze_updates(_: CurrentUser = Depends(admin_user)) -> dict[str, Any]:
    return _body(flags.get_flag(flags.FREEZE_UPDATES))


@router.post("/system/freeze-updates")
def set_freeze_updates(body: FlagChange, user: CurrentUser = Depends(admin_user)) -> dict[str, Any]:
    return _change(flags.FREEZE_UPDATES, body, user)


def refuse_in_exam_mode() -> None:
    if flags.exam_mode():
        raise CodedError(status.HTTP_423_LOCKED, "EXAM_MODE_ACTIVE", "Blocked while exam mode is on")


@router.post("/rankings/recompute", status_code=status.HTTP_202_ACCEPTED)
def recompute_rankings(user: CurrentUser = Depends(admin_user), db: Session = Depends(get_db)) -> dict[str, Any]:
    refuse_in_exam_mode()
    rows = db.execute(text(
        "SELECT user_id, avg(score_pct) FROM test_sessions WHERE status = 'SUBMITTED' GROUP BY user_id")).all()
    db.rollback()
    _log.info("admin.rankings_recompute", users=len(rows), by=user.id)
    return {"status": "accepted", "users_ranked": len(rows)}


@router.post("/search/reindex", status_code=status.HTTP_202_ACCEPTED)
def search_reindex(user: CurrentUser = Depends(admin_user), db: Session = Depends(get_db)) -> dict[str, Any]:
    refuse_in_exam_mode()
    count = db.execute(text("SELECT count(*) FROM questions")).scalar_one()
    db.rollback()
    _log.info("admin.search_reindex", questions=count, by=user.id)
    return {"status": "accepted", "questions_indexed": count}
