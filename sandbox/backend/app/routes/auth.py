"""Login, logout and "who am I"."""

from __future__ import annotations

from typing import Any

import redis
from fastapi import Depends, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import ratelimit
from app.auth import REVOKED_KEY_PREFIX, CurrentUser, current_user
from app.db import get_db
from app.redis_client import get_redis
from app.routes import api_router
from app.security import new_token, token_hash, verify_password
from app.serialize import scalar
from app.settings import get_settings

router = api_router("/auth")


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


@router.post("/login")
def login(body: LoginRequest, db: Session = Depends(get_db)) -> dict[str, Any]:
    ratelimit.enforce_login(body.username)
    user = db.execute(text("SELECT id, password_hash FROM users WHERE username = :u"), {"u": body.username}).first()
    if user is None or not verify_password(body.password, user.password_hash):
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="invalid credentials")
    settings = get_settings()
    token = new_token()
    db.execute(
        text(
            "INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at) "
            "VALUES (:h, :uid, now(), now() + make_interval(secs => :ttl))"
        ),
        {"h": token_hash(token, settings.auth_token_pepper), "uid": user.id, "ttl": settings.auth_token_ttl_seconds},
    )
    db.commit()
    return {"access_token": token, "token_type": "bearer", "expires_in": settings.auth_token_ttl_seconds}


@router.post("/logout")
def logout(user: CurrentUser = Depends(current_user), db: Session = Depends(get_db)) -> dict[str, str]:
    db.execute(text("UPDATE auth_tokens SET revoked_at = now() WHERE token_hash = :h"), {"h": user.token_hash})
    db.commit()
    client = get_redis()
    if client is not None:
        try:
            client.set(REVOKED_KEY_PREFIX + user.token_hash, "1", ex=get_settings().auth_token_ttl_seconds)
        except redis.RedisError as exc:
            # PostgreSQL already says revoked; the blacklist is only a fast path.
            ratelimit.note_redis_bypass("token_blacklist", exc)
    return {"status": "logged_out"}


@router.get("/me")
def me(user: CurrentUser = Depends(current_user), db: Session = Depends(get_db)) -> dict[str, Any]:
    row = db.execute(text("SELECT id, username, role, created_at FROM users WHERE id = :id"), {"id": user.id}).one()
    return {name: scalar(value) for name, value in row._mapping.items()}
