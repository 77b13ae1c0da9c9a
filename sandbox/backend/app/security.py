"""Password hashing and HS256 JWTs (pure functions, no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

# Deliberately LOW: the sandbox logs in hundreds of rehearsal users in seconds on a
# small machine. A production system would use >= 600 000.
PBKDF2_ITERATIONS = 1000
_SCHEME = "pbkdf2_sha256"


def hash_password(password: str, salt: str | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{_SCHEME}${iterations}${salt}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, expected = stored.split("$", 3)
    except ValueError:
        return False
    if scheme != _SCHEME:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


class InvalidToken(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def encode_jwt(claims: dict[str, Any], secret: str) -> str:
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{_HEADER}.{payload}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{_HEADER}.{payload}.{_b64(signature)}"


def decode_jwt(token: str, secret: str, expected_type: str) -> dict[str, Any]:
    try:
        header, payload, signature = token.split(".")
        header_json = json.loads(_unb64(header))
        expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if header_json.get("alg") != "HS256" or not hmac.compare_digest(_unb64(signature), expected):
            raise InvalidToken("bad signature")
        claims = json.loads(_unb64(payload))
    except (ValueError, TypeError) as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(claims, dict) or claims.get("type") != expected_type:
        raise InvalidToken("wrong token type")
    if int(claims.get("exp", 0)) <= int(time.time()):
        raise InvalidToken("token expired")
    return claims


def issue_tokens(user_id: str, role: str, sid: str, secret: str, access_minutes: int,
                 refresh_days: int) -> dict[str, str]:
    now = int(time.time())
    access = {"sub": user_id, "role": role, "sid": sid, "type": "access", "iat": now,
              "exp": now + access_minutes * 60, "jti": secrets.token_hex(8)}
    refresh = {"sub": user_id, "role": role, "sid": sid, "type": "refresh", "iat": now,
               "exp": now + refresh_days * 86400, "jti": secrets.token_hex(8)}
    return {"access_token": encode_jwt(access, secret), "refresh_token": encode_jwt(refresh, secret),
            "token_type": "bearer"}
