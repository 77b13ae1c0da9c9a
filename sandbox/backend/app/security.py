"""Password hashing and bearer-token hashing (pure functions, no I/O)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Deliberately LOW: the sandbox must log in hundreds of rehearsal users in
# seconds on a small machine. A production system would use >= 600 000.
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


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str, pepper: str) -> str:
    """Only this hash is stored: a database dump does not hand out live tokens."""
    return hashlib.sha256((pepper + token).encode()).hexdigest()
