"""The last line of defence: no secret reaches any file of a record.

Checks already keep env values out of evidence unless allow-listed; this pass
catches what slips through anyway (a DSN in an error message, a token in a log
line an item quoted). Two kinds of rule:

- known values, collected at run time: the target's passwords from its config,
  and the env values of the platform's containers that are not allow-listed
  and look like secrets. Each is also matched in the escaped forms it takes in
  JSON, HTML and URLs.
- patterns: `Bearer <token>`, `password=...` (and token=, secret=, ...), a
  quoted `"password": "..."`, and the password of a `scheme://user:pass@host` DSN.

`Redactor.value` cleans structured data (evidence) before it is rendered;
`Redactor.text` is applied to every text written into a record, as a last pass.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from examday.secret_rules import MASK, MIN_SECRET_LENGTH

_SECRET_FIELD_NAMES = {"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "access_token",
                       "refresh_token", "client_secret", "private_key", "authorization", "cookie"}
_KEYWORDS = r"password|passwd|pwd|passphrase|secret|token|access_token|refresh_token|api_key|apikey|client_secret"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{4,}"), r"\1\2" + MASK),
    # query strings, env lines, key=value logs: password=..., token=...
    (re.compile(rf"(?i)\b((?:{_KEYWORDS})=)[^&\s\"'<>\\;,]+"), r"\1" + MASK),
    # JSON or Python reprs: "password": "...", 'token': '...'
    (re.compile(rf"(?i)([\"'](?:{_KEYWORDS})[\"']\s*:\s*[\"'])[^\"'\\]+([\"'])"), r"\1" + MASK + r"\2"),
    # DSN credentials: scheme://user:pass@host
    (re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@\"'<>]*):[^\s@/\"'<>]+@"), r"\1:" + MASK + "@"),
)


class Redactor:
    """Replaces known secret values and secret-looking patterns with [redacted]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants = {v for secret in secrets if secret for v in _escaped_forms(secret)}
        ordered = sorted(variants, key=len, reverse=True)
        anywhere = [re.escape(v) for v in ordered if len(v) >= MIN_SECRET_LENGTH]
        whole_token = [rf"(?<![A-Za-z0-9_]){re.escape(v)}(?![A-Za-z0-9_])" for v in ordered
                       if len(v) < MIN_SECRET_LENGTH]
        self._known = re.compile("|".join(anywhere + whole_token)) if anywhere or whole_token else None

    def text(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(MASK, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def value(self, value: Any) -> Any:
        """A JSON-ready value with every string redacted; secret-named fields masked whole."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {str(k): (MASK if _secret_field(str(k)) and v not in (None, "") else self.value(v))
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


def _secret_field(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_FIELD_NAMES or lowered.endswith(("_password", "_secret", "_token", "_api_key"))


def _escaped_forms(secret: str) -> set[str]:
    """The secret as it appears raw, in JSON, in HTML (also HTML-escaped JSON) and URL-encoded."""
    in_json = json.dumps(secret)[1:-1]
    return {secret, in_json, html.escape(secret), html.escape(in_json), quote(secret, safe=""),
            quote_plus(secret), json.dumps(secret, ensure_ascii=False)[1:-1]}
