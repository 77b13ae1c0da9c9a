"""The platform's admin API as its operators use it from the host: sign in as the
ADMIN operator (http://127.0.0.1:8000, the backend's published port) and switch the
system flags with their confirmation phrases.

The operator's tokens are cached in .state/operator-token.json: the platform limits
logins to 5 a minute per client address, and every call from the host shares one.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from examday.sandbox.errors import SandboxError
from examday.sandbox.layout import OPERATOR_EMAIL, SandboxPaths

API_PREFIX = "/v1"
FLAG_PATHS = {"EXAM_MODE": "exam-mode", "FREEZE_UPDATES": "freeze-updates"}
PHRASES = {"EXAM_MODE": "EXAM MODE", "FREEZE_UPDATES": "FREEZE UPDATES"}
TIMEOUT_SECONDS = 60  # a call may wait on a stopped Redis (login's limiter)
LOGIN_RETRY_SECONDS = 70


def backend_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _claims_exp(token: str) -> int:
    import base64

    payload = token.split(".")[1]
    return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


class AdminApi:
    def __init__(self, paths: SandboxPaths, port: int) -> None:
        self.paths = paths
        self.client = httpx.Client(base_url=backend_url(port), timeout=TIMEOUT_SECONDS)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "AdminApi":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- tokens ----------------------------------------------------------------------
    def _cached(self) -> dict[str, str]:
        try:
            return json.loads(self.paths.operator_token.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, tokens: dict[str, str]) -> None:
        self.paths.operator_token.write_text(json.dumps(tokens))
        self.paths.operator_token.chmod(0o600)

    def token(self) -> str:
        tokens = self._cached()
        access = tokens.get("access_token")
        if access and _claims_exp(access) > time.time() + 60:
            return access
        if tokens.get("refresh_token"):
            reply = self.client.post(f"{API_PREFIX}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
            if reply.status_code == 200:
                self._save(reply.json()["tokens"])
                return reply.json()["tokens"]["access_token"]
        return self._login()

    def _login(self) -> str:
        password = self.paths.operator_password.read_text().strip()
        deadline = time.monotonic() + LOGIN_RETRY_SECONDS
        while True:
            reply = self.client.post(f"{API_PREFIX}/auth/login", json={"email": OPERATOR_EMAIL, "password": password})
            if reply.status_code == 200:
                self._save(reply.json()["tokens"])
                return reply.json()["tokens"]["access_token"]
            if reply.status_code != 429 or time.monotonic() > deadline:
                raise SandboxError(f"the operator could not sign in: {reply.status_code} {reply.text[:200]}",
                                   "is the backend up (`examday sandbox status`)?")
            time.sleep(min(10, float(reply.headers.get("retry-after", "5") or 5)))

    # -- flags -----------------------------------------------------------------------
    def _as_admin(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        reply = self.client.request(method, path, headers={"Authorization": f"Bearer {self.token()}"}, **kwargs)
        if reply.status_code == 401:  # a cached token the backend no longer accepts: sign in afresh
            self.paths.operator_token.unlink(missing_ok=True)
            reply = self.client.request(method, path, headers={"Authorization": f"Bearer {self.token()}"},
                                        **kwargs)
        if reply.status_code != 200:
            raise SandboxError(f"{method} {path}: {reply.status_code} {reply.text[:200]}",
                               "see `examday sandbox logs backend`")
        return reply.json()

    def flag(self, key: str) -> dict[str, Any]:
        return self._as_admin("GET", f"{API_PREFIX}/admin/system/{FLAG_PATHS[key]}")

    def set_flag(self, key: str, enabled: bool, reason: str) -> dict[str, Any]:
        phrase = ("ENABLE " if enabled else "DISABLE ") + PHRASES[key]
        return self._as_admin("POST", f"{API_PREFIX}/admin/system/{FLAG_PATHS[key]}",
                              json={"enabled": enabled, "reason": reason, "confirmation_phrase": phrase})
