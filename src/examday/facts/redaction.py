"""Env values reach evidence only for keys on the allow-list; the rest are masked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from examday.secret_rules import MASK


def allowed_env(env: Mapping[str, str], allowlist: Iterable[str]) -> dict[str, str]:
    """Every key, with the value kept only where the key is allow-listed."""
    allowed = set(allowlist)
    return {key: (value if key in allowed else MASK) for key, value in sorted(env.items())}
