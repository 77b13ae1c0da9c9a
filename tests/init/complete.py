"""Complete a file `examday init` wrote with exactly the keys it listed as not found, their values taken
from another target (the sandbox's own examday.toml): whatever else that target needs, init found."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from tests.checks.runner import sandbox_config

# "#   not found: set exam.window_file or exam.starts_at + exam.ends_at (what it is)"
NOT_FOUND = re.compile(r"^#\s+not found: set (?P<keys>[\w.]+(?: (?:or|\+) [\w.]+)*) \(", re.M)
MISSING = object()


def listed_not_found(text: str) -> list[list[list[str]]]:
    """Each listed entry as its alternatives, each alternative the keys that go together."""
    return [[alternative.split(" + ") for alternative in match["keys"].split(" or ")]
            for match in NOT_FOUND.finditer(text)]


def sandbox_target(folder: Path) -> dict[str, Any]:
    """The sandbox's examday.toml with its paths made absolute (as the checklist tests use it)."""
    return tomllib.loads(sandbox_config(folder).read_text())


def complete(written: Path, source: dict[str, Any], out: Path) -> list[str]:
    """Write ``out``: ``written`` plus, per listed entry, the first alternative ``source`` sets all
    keys of. Returns the keys set; an entry the source sets no alternative of is left (its default)."""
    text = written.read_text()
    data = tomllib.loads(text)
    taken: list[str] = []
    for alternatives in listed_not_found(text):
        chosen = next((keys for keys in alternatives if all(_get(source, k) is not MISSING for k in keys)), [])
        for key in chosen:
            _set(data, key, _get(source, key))
            taken.append(key)
    out.write_text(tomli_w.dumps(data))
    return taken


def _get(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return MISSING
        data = data[part]
    return data


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *sections, key = dotted.split(".")
    for part in sections:
        data = data.setdefault(part, {})
    data[key] = value
