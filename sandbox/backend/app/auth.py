"""Bearer authentication: the access token is a signed JWT, checked WITHOUT Redis
(and without the database), so auth keeps working while Redis is down."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status

from app.context import current_stats
from app.errors import CodedError
from app.security import InvalidToken, decode_jwt
from app.settings import get_settings


@dataclass(frozen=True)
class CurrentUser:
    id: str
    role: str
    sid: str

    @property
    def is_admin(self) -> bool:
        return self.role == "ADMIN"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail=detail,
                         headers={"WWW-Authenticate": "Bearer"})


def current_user(request: Request) -> CurrentUser:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Not authenticated")
    try:
        claims = decode_jwt(token.strip(), get_settings().jwt_secret, "access")
    except InvalidToken as exc:
        raise _unauthorized(f"Invalid token: {exc}") from exc
    user = CurrentUser(id=str(claims["sub"]), role=str(claims.get("role", "STUDENT")), sid=str(claims.get("sid", "")))
    stats = current_stats()
    if stats is not None:
        stats.user_id, stats.user_role = user.id, user.role
    return user


def admin_user(user: CurrentUser = Depends(current_user)) -> CurrentUser:
    if not user.is_admin:
        raise CodedError(status.HTTP_403_FORBIDDEN, "FORBIDDEN", "admin role required")
    return user
