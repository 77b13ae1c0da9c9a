"""Bearer authentication: tokens are checked in PostgreSQL, Redis only adds a blacklist.

So auth keeps working while Redis is down (the blacklist check fails open).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import redis
from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import ratelimit
from app.db import get_db
from app.redis_client import get_redis, note_failure, skip_if_recently_failed
from app.security import token_hash
from app.settings import get_settings

REVOKED_KEY_PREFIX = "revoked:"


@dataclass(frozen=True)
class CurrentUser:
    id: uuid.UUID
    username: str
    role: str
    token_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == "ADMIN"


def _unauthorized(detail: str = "not authenticated") -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized()
    return token.strip()


def _is_blacklisted(hashed: str) -> bool:
    client = get_redis()
    if client is None:
        return False
    try:
        skip_if_recently_failed()
        return bool(client.exists(REVOKED_KEY_PREFIX + hashed))
    except redis.RedisError as exc:
        note_failure(exc)
        ratelimit.note_redis_bypass("token_blacklist", exc)
        return False


def _load_user(db: Session, hashed: str) -> CurrentUser | None:
    row = db.execute(
        text(
            "SELECT u.id, u.username, u.role FROM auth_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = :h AND t.revoked_at IS NULL AND t.expires_at > now()"
        ),
        {"h": hashed},
    ).first()
    if row is None:
        return None
    return CurrentUser(id=row.id, username=row.username, role=row.role, token_hash=hashed)


def current_user(request: Request, db: Session = Depends(get_db)) -> CurrentUser:
    hashed = token_hash(_bearer_token(request), get_settings().auth_token_pepper)
    user = _load_user(db, hashed)
    if user is None or _is_blacklisted(hashed):
        raise _unauthorized("invalid or expired token")
    ratelimit.enforce_api(hashed)
    return user


def admin_user(user: CurrentUser = Depends(current_user)) -> CurrentUser:
    if not user.is_admin:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="admin role required")
    return user
