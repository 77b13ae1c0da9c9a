"""Test sessions under {prefix}/sessions (bearer token). Only the owner sees a session."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, TypeVar

import redis
from fastapi import Depends, Header, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app import flags, ratelimit, session_store
from app.auth import CurrentUser, current_user
from app.db import get_db
from app.errors import CodedError
from app.redis_client import get_redis
from app.routes import api_router

router = api_router("/sessions")
T = TypeVar("T")
IDEMPOTENCY_TTL_SECONDS = 24 * 3600

_ERROR_STATUS: dict[type[session_store.SessionError], int] = {
    session_store.NotFound: status.HTTP_404_NOT_FOUND,
    session_store.Conflict: status.HTTP_409_CONFLICT,
    session_store.Invalid: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


def _http_errors(func: Callable[..., T]) -> Callable[..., T]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except session_store.SessionError as exc:
            raise HTTPException(status_code=_ERROR_STATUS[type(exc)], detail=str(exc)) from exc

    return wrapper


def _refuse_when_frozen() -> None:
    if flags.freeze_updates():
        raise CodedError(status.HTTP_423_LOCKED, "FREEZE_UPDATES_ACTIVE", "Updates are frozen")


class CreateSession(BaseModel):
    mode: Literal["TUTOR", "EXAM"]
    year: Literal[1, 2]
    blocks: list[str] = Field(min_length=1, max_length=20)
    count: int = Field(ge=1, le=200)
    duration_seconds: int | None = Field(default=None, ge=60, le=6 * 3600)
    themes: list[str] | None = None
    difficulty: str | None = None
    cognitive: str | None = None


class SaveAnswer(BaseModel):
    question_id: uuid.UUID
    selected_index: int | None = Field(ge=0, le=4)
    marked_for_review: bool | None = None


class SaveAnswerThin(SaveAnswer):
    index: int = Field(ge=1)
    client_event_id: str = Field(min_length=1, max_length=100)


@router.post("", status_code=status.HTTP_201_CREATED)
@_http_errors
def create_session(body: CreateSession, user: CurrentUser = Depends(current_user),
                   db: Session = Depends(get_db)) -> dict[str, Any]:
    ratelimit.enforce(ratelimit.SESSION_CREATE_PER_USER, user.id)
    return session_store.create(db, user.id, body.mode, body.year, body.blocks, body.count, body.duration_seconds,
                                body.themes, body.difficulty, body.cognitive)


@router.get("/{session_id}")
@_http_errors
def get_session(session_id: uuid.UUID, user: CurrentUser = Depends(current_user),
                db: Session = Depends(get_db)) -> dict[str, Any]:
    return session_store.get(db, str(session_id), user.id)


@router.get("/{session_id}/state")
@_http_errors
def get_state(session_id: uuid.UUID, user: CurrentUser = Depends(current_user),
              db: Session = Depends(get_db)) -> dict[str, Any]:
    return session_store.state(db, str(session_id), user.id)


@router.get("/{session_id}/question")
@_http_errors
def get_question(session_id: uuid.UUID, index: int = Query(ge=1), user: CurrentUser = Depends(current_user),
                 db: Session = Depends(get_db)) -> dict[str, Any]:
    return session_store.question(db, str(session_id), user.id, index)


@router.post("/{session_id}/answer")
@_http_errors
def save_answer(session_id: uuid.UUID, body: SaveAnswer, user: CurrentUser = Depends(current_user),
                db: Session = Depends(get_db)) -> dict[str, Any]:
    _refuse_when_frozen()
    return session_store.answer(db, str(session_id), user.id, str(body.question_id), body.selected_index,
                                body.marked_for_review)


@router.post("/{session_id}/answer-thin")
@_http_errors
def save_answer_thin(session_id: uuid.UUID, body: SaveAnswerThin, user: CurrentUser = Depends(current_user),
                     db: Session = Depends(get_db)) -> dict[str, Any]:
    _refuse_when_frozen()
    saved = session_store.answer(db, str(session_id), user.id, str(body.question_id), body.selected_index,
                                 body.marked_for_review,
                                 {"index": body.index, "client_event_id": body.client_event_id})
    return {**saved, "index": body.index, "client_event_id": body.client_event_id}


def _idempotent_replay(key: str) -> dict[str, Any] | None:
    try:
        cached = get_redis().get(key)
    except redis.RedisError as exc:
        ratelimit.note_redis_failure("idempotency", exc, "bypassed")
        return None
    return json.loads(cached) if cached else None


def _remember(key: str, body: dict[str, Any]) -> None:
    try:
        get_redis().set(key, json.dumps(body), ex=IDEMPOTENCY_TTL_SECONDS)
    except redis.RedisError as exc:
        ratelimit.note_redis_failure("idempotency", exc, "bypassed")


@router.post("/{session_id}/submit")
@_http_errors
def submit(session_id: uuid.UUID, user: CurrentUser = Depends(current_user), db: Session = Depends(get_db),
           idempotency_key: str | None = Header(default=None, max_length=200)) -> dict[str, Any]:
    ratelimit.enforce(ratelimit.SUBMIT_PER_USER, user.id)
    _refuse_when_frozen()
    key = f"idem:{user.id}:{idempotency_key}" if idempotency_key else None
    if key is not None and (replay := _idempotent_replay(key)) is not None:
        return replay
    result = session_store.submit(db, str(session_id), user.id)
    if key is not None:
        _remember(key, result)
    return result
