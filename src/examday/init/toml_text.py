"""A first examday.toml from a Discovery: every value with how it was found, guesses marked, and what
could not be found listed with the key to set. Secrets are never written (the *_env keys name where
they are read from)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from examday.init.discover import Discovery, Found

SECTION_ORDER = ("api", "postgres", "redis", "platform", "exam_mode")


def render_target(discovery: Discovery, name: str, compose_files: list[Path], env_files: list[Path]) -> str:
    lines = [f"# examday target written by `examday init` from {', '.join(str(f) for f in compose_files)}.",
             "# Every value says how it was found; \"guess\" marks one to look at again. Read it, then run:",
             "#   pytest -m preexam --target <this file>"]
    if discovery.missing:
        lines += ["#", "# Not found (set these yourself):"]
        lines += [f"#   {key}: {why}" for key, why in discovery.missing]
    lines += ["", "[target]", f"name = {_value(name)}",
              'kind = "production"                   # sandbox | staging | production: say which it is',
              "", "[docker]", f"compose_files = {_value([str(f) for f in compose_files])}"]
    if env_files:
        lines.append(f"compose_env_files = {_value([str(f) for f in env_files])}")
    lines += ["", "[docker.containers]", *_entries(discovery.containers)]
    by_section: dict[str, dict[str, Found]] = {}
    for dotted, found in discovery.values.items():
        section, key = dotted.split(".", 1)
        by_section.setdefault(section, {})[key] = found
    for section in SECTION_ORDER:
        if section in by_section:
            lines += ["", f"[{section}]", *_entries(by_section[section])]
    if discovery.staging:
        lines += ["", "# The staging twins found (a staging target of their own: copy this file and name them):"]
        lines += [f"#   {role} = {_value(found.value)}  ({found.how})" for role, found in discovery.staging.items()]
    return "\n".join(lines) + "\n"


def _entries(values: dict[str, Found]) -> list[str]:
    return [f"{key} = {_value(found.value)}  # {'guess: ' if found.guess else ''}{found.how}"
            for key, found in values.items()]


def _value(value: Any) -> str:
    """A TOML value: strings, numbers and lists of them are written as JSON writes them."""
    return json.dumps(value, ensure_ascii=False)
