"""What counts as a secret, wherever examday meets one: the mask it is replaced with, which env values
look like secrets, and the password inside a DSN. Pure rules, shared by the facts that keep env values
out of evidence and the redaction of every record file."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

MASK = "[redacted]"
# Env values shorter than this ("true", "5432", a user name) are not taken for secrets. A known
# secret this short (a weak password in the config) is masked only as a whole token, so that
# "pass1" masks `pass1` but leaves "password" and "passing" alone.
MIN_SECRET_LENGTH = 6

_SECRET_WORDS = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "PEPPER", "SALT", "CREDENTIAL",
                 "PRIVATE", "APIKEY", "API_KEY", "ACCESS_KEY", "_KEY", "KEY_", "DSN", "DATABASE_URL",
                 "AUTH", "COOKIE", "SESSION_KEY", "SIGNING")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_.~-]+")


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
