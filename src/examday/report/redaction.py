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
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

MASK = "[redacted]"
# Env values shorter than this ("true", "5432", a user name) are not taken for secrets. A known
# secret this short (a weak password in the config) is masked only as a whole token, so that
# "pass1" masks `pass1` but leaves "password" and "passing" alone.
MIN_SECRET_LENGTH = 6

_SECRET_WORDS = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "PEPPER", "SALT", "CREDENTIAL",
                 "PRIVATE", "APIKEY", "API_KEY", "ACCESS_KEY", "_KEY", "KEY_", "DSN", "DATABASE_URL",
                 "AUTH", "COOKIE", "SESSION_KEY", "SIGNING")
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


_TOKEN = re.compile(r"[A-Za-z0-9+/=_.~-]+")


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


def is_secret_env(key: str, value: str, allowlist: Iterable[str]) -> bool:
    """Whether an env value must be treated as a secret (allow-listed keys never are)."""
    if key in set(allowlist) or len(value) < MIN_SECRET_LENGTH:
        return False
    upper = key.upper()
    return (any(word in upper for word in _SECRET_WORDS) or bool(url_password(value))
            or _looks_random(value))


def _looks_random(value: str) -> bool:
    """A long token under an unhelpful name: token characters only, letters and digits, high entropy.

    URLs, paths and host:port values are not tokens (a URL's password is found apart).
    """
    if len(value) < 20 or not _TOKEN.fullmatch(value):
        return False
    if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        return False
    counts = [value.count(c) for c in set(value)]
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts)
    return entropy >= 3.5


def url_password(value: str) -> str | None:
    """The password of a `scheme://user:pass@host` value, if it has one."""
    if "://" not in value or "@" not in value:
        return None
    try:
        return urlsplit(value.strip()).password
    except ValueError:
        return None


def secrets_in_env(env: Mapping[str, str], allowlist: Iterable[str]) -> set[str]:
    """The secret values of one environment (and the passwords inside its DSNs)."""
    allowed = list(allowlist)
    found: set[str] = set()
    for key, value in env.items():
        if is_secret_env(key, value, allowed):
            found.add(value)
            password = url_password(value)
            if password:
                found.add(password)
    return found
