"""Test sessions: create/resume, read, answer, submit. Only the owner sees a session."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, Literal, TypeVar

from fastapi import Depends, HTTPException, Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app import session_store
from app.auth import CurrentUser, current_user
from app.db import get_db
from app.routes import api_router
from app.serialize import answer_body, result_body, scalar, session_body

router = api_router("/sessions")
T = TypeVar("T")

_ERROR_STATUS: dict[type[session_store.SessionError], int] = {
    session_store.NotFound: status.HTTP_404_NOT_FOUND,
    session_store.Conflict: status.HTTP_409_CONFLICT,
    session_store.Invalid: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


def _http_errors(func: Callable[..., T]) -> Callable[..., T]:
    """Map the store's domain errors to HTTP answers in one place."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except session_store.SessionError as exc:
            raise HTTPException(status_code=_ERROR_STATUS[type(exc)], detail=str(exc)) from exc

    return wrapper


class CreateSession(BaseModel):
    exam_id: uuid.UUID
    mode: Literal["EXAM", "TUTOR"] = "EXAM"


class SaveAnswer(BaseModel):
    question_id: uuid.UUID
    # null clears a choice (the question stays visited, e.g. only marked for review).
    selected_index: int | None
    marked_for_review: bool | None = None
    client_ts: datetime | None = None


@router.post("", status_code=status.HTTP_201_CREATED)
@_http_errors
def create_session(
    body: CreateSession,
    response: Response,
    user: CurrentUser = Depends(current_user),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    row, created = session_store.create_or_resume(db, user.id, body.exam_id, body.mode)
    if not created:
        response.status_code = status.HTTP_200_OK
    return session_body(row)


@router.get("/{session_id}")
@_http_errors
def get_session(
    session_id: uuid.UUID, user: CurrentUser = Depends(current_user), db: Session = Depends(get_db)
) -> dict[str, Any]:
    return session_body(session_store.get_owned(db, session_id, user.id))


@router.get("/{session_id}/state")
@_http_errors
def get_state(
    session_id: uuid.UUID, user: CurrentUser = Depends(current_user), db: Session = Depends(get_db)
) -> dict[str, Any]:
    state = session_store.get_state(db, session_id, user.id)
    return {
        "session": session_body(state["session"]),
        "remaining_seconds": state["session"].remaining_seconds,
        "questions": [
            {"position": q.position, "question_id": scalar(q.question_id), "prompt": q.prompt, "options": q.options}
            for q in state["questions"]
        ],
        "answers": [answer_body(a) for a in state["answers"]],
    }


@router.post("/{session_id}/answers")
@_http_errors
def save_answer(
    session_id: uuid.UUID,
    body: SaveAnswer,
    user: CurrentUser = Depends(current_user),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    saved = session_store.save_answer(
        db, session_id, user.id, body.question_id, body.selected_index, body.marked_for_review, body.client_ts
    )
    return answer_body(saved)


@router.post("/{session_id}/submit")
@_http_errors
def submit(
    session_id: uuid.UUID, user: CurrentUser = Depends(current_user), db: Session = Depends(get_db)
) -> dict[str, Any]:
    return result_body(session_store.submit(db, session_id, user.id))
