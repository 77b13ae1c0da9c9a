"""POST {prefix}/auth/login and POST {prefix}/auth/refresh."""

from __future__ import annotations

import time
import uuid
from typing import Any

import redis
from fastapi import Depends, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import ratelimit
from app.context import current_stats
from app.db import get_db
from app.errors import CodedError
from app.redis_client import get_redis
from app.routes import api_router
from app.security import InvalidToken, decode_jwt, issue_tokens, verify_password
from app.settings import get_settings

router = api_router("/auth")
BLACKLIST_PREFIX = "bl:"


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=255)
    password: str = Field(min_length=1, max_length=1000)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=4000)


def _tokens(user_id: str, role: str, sid: str) -> dict[str, str]:
    s = get_settings()
    return issue_tokens(user_id, role, sid, s.jwt_secret, s.access_token_minutes, s.refresh_token_days)


@router.post("/login")
def login(body: LoginRequest, request: Request, db: Session = Depends(get_db)) -> dict[str, Any]:
    email = body.email.strip().lower()
    ratelimit.enforce(ratelimit.LOGIN_PER_IP, ratelimit.client_ip(request))
    ratelimit.enforce(ratelimit.LOGIN_PER_EMAIL, email)
    user = db.execute(text("SELECT id, email, password_hash, role, email_verified, full_name FROM users "
                           "WHERE email = :e"), {"e": email}).first()
    db.rollback()
    if user is None or not verify_password(body.password, user.password_hash):
        raise CodedError(status.HTTP_401_UNAUTHORIZED, "INVALID_CREDENTIALS", "Invalid email or password")
    if not user.email_verified:
        raise CodedError(status.HTTP_403_FORBIDDEN, "EMAIL_NOT_VERIFIED", "Email address not verified")
    stats = current_stats()
    if stats is not None:
        stats.user_id, stats.user_role = str(user.id), user.role
    return {
        "user": {"id": str(user.id), "email": user.email, "role": user.role, "full_name": user.full_name},
        "tokens": _tokens(str(user.id), user.role, str(uuid.uuid4())),
        "mfa_required": False,
    }


def _blacklisted(jti: str) -> bool:
    try:
        return bool(get_redis().exists(BLACKLIST_PREFIX + jti))
    except redis.RedisError as exc:
        ratelimit.note_redis_failure("token_blacklist", exc, "bypassed")  # fails open
        return False


def _blacklist(jti: str, seconds: int) -> None:
    try:
        get_redis().set(BLACKLIST_PREFIX + jti, "1", ex=max(1, seconds))
    except redis.RedisError as exc:
        ratelimit.note_redis_failure("token_blacklist", exc, "bypassed")


@router.post("/refresh")
def refresh(body: RefreshRequest) -> dict[str, Any]:
    try:
        claims = decode_jwt(body.refresh_token, get_settings().jwt_secret, "refresh")
    except InvalidToken as exc:
        raise CodedError(status.HTTP_401_UNAUTHORIZED, "INVALID_TOKEN", f"Invalid refresh token: {exc}") from exc
    # Fails closed when REDIS_REQUIRED: with Redis down, refreshes get 429.
    ratelimit.enforce(ratelimit.refresh_policy(), str(claims["sub"]))
    if _blacklisted(str(claims.get("jti", ""))):
        raise CodedError(status.HTTP_401_UNAUTHORIZED, "TOKEN_REVOKED", "Refresh token already used")
    _blacklist(str(claims.get("jti", "")), int(claims["exp"]) - int(time.time()))
    return {"tokens": _tokens(str(claims["sub"]), str(claims.get("role", "STUDENT")), str(claims.get("sid", "")))}
