"""The one body shape of every coded error: {"error": {"code": CODE, "message": TEXT}}.

Used for 403 EMAIL_NOT_VERIFIED, 423 EXAM_MODE_ACTIVE / FREEZE_UPDATES_ACTIVE,
429 RATE_LIMITED, 400 INVALID_CONFIRMATION, 401 INVALID_CREDENTIALS. FastAPI's own
errors (401 without a token, 404, 409, 422 validation) keep {"detail": ...}.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse


class CodedError(Exception):
    def __init__(self, status_code: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code, self.code, self.message, self.headers = status_code, code, message, headers or {}


async def coded_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CodedError)
    return JSONResponse(status_code=exc.status_code, headers=exc.headers,
                        content={"error": {"code": exc.code, "message": exc.message}})
