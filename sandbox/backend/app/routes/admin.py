"""Heavy admin jobs, refused while exam mode is on (the platform's exam-day switch)."""

from __future__ import annotations

from fastapi import Depends, HTTPException, status
from sqlalchemy.orm import Session

from app import stats
from app.auth import CurrentUser, admin_user
from app.db import get_db
from app.exam_mode import effective_exam_mode
from app.logs import get_logger
from app.routes import api_router

router = api_router("/admin")
_log = get_logger()


def _refuse_in_exam_mode(db: Session) -> None:
    if effective_exam_mode(db).enabled:
        raise HTTPException(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail="disabled in exam mode")


@router.post("/analytics/recompute", status_code=status.HTTP_202_ACCEPTED)
def recompute(user: CurrentUser = Depends(admin_user), db: Session = Depends(get_db)) -> dict[str, str]:
    _refuse_in_exam_mode(db)
    exams = stats.recompute_exam_stats(db)
    db.commit()
    _log.info("admin.analytics_recompute", exams=exams, by=user.username)
    return {"status": "accepted"}


@router.post("/bulk/regrade", status_code=status.HTTP_202_ACCEPTED)
def bulk_regrade(user: CurrentUser = Depends(admin_user), db: Session = Depends(get_db)) -> dict[str, str]:
    _refuse_in_exam_mode(db)
    result = stats.regrade(db)
    db.commit()
    _log.info(
        "admin.bulk_regrade",
        answers_regraded=result.answers_regraded,
        sessions_rescored=result.sessions_rescored,
        by=user.username,
    )
    return {"status": "accepted"}
