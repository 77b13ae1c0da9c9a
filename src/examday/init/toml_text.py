"""A first examday.toml from a Discovery: every value with how it was found, guesses marked, and what
could not be found listed with the key to set. Secrets are never written (the *_env / *_file keys
name where they are read from), and the file loads as written: a required key init could not find
gets a stand-in value, listed as not found too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from examday.init.found import Discovery, Found

SECTION_ORDER = ("api", "postgres", "redis", "tls", "dns", "logs", "exam_mode", "platform", "jobs", "backup",
                 "proxy", "staging", "prometheus", "alertmanager")
NOT_FOUND_HEADER = ("# Not found: set these yourself. Until then their items are not checked and the verdict "
                    "stays INCOMPLETE",
                    "# (or declare an item that does not apply in [[not_applicable]]). Keys joined by + go together.")


def render_target(discovery: Discovery, name: str, compose_files: list[Path], env_files: list[Path]) -> str:
    by_section = _by_section(discovery.values)
    lines = [f"# examday target written by `examday init` from {', '.join(str(f) for f in compose_files)}.",
             "# Every value says how it was found; \"guess\" marks one to look at again. Read it, then run:",
             "#   pytest -m preexam --target <this file>"]
    lines += [f"# {note}" for note in discovery.notes]
    if discovery.missing:
        lines += ["#", *NOT_FOUND_HEADER, *(f"#   {missing.line()}" for missing in discovery.missing)]
    lines += ["", "[target]", f"name = {toml_value(name)}",
              'kind = "production"                   # sandbox | staging | production: say which it is',
              "", "[docker]", f"compose_files = {toml_value([str(f) for f in compose_files])}"]
    if env_files:
        lines.append(f"compose_env_files = {toml_value([str(f) for f in env_files])}")
    lines += _entries(by_section.pop("docker", {}))
    lines += ["", "[docker.containers]", *_entries(discovery.containers)]
    for section in SECTION_ORDER:
        if section in by_section:
            lines += ["", f"[{section}]", *_entries(by_section[section])]
    if discovery.staging:
        lines += ["", "# The staging twins found (a staging target of their own: copy this file and name them):"]
        lines += [f"#   {role} = {toml_value(found.value)}  ({found.how})" for role, found in discovery.staging.items()]
    return "\n".join(lines) + "\n"


def _by_section(values: dict[str, Found]) -> dict[str, dict[str, Found]]:
    out: dict[str, dict[str, Found]] = {}
    for dotted, found in values.items():
        section, key = dotted.split(".", 1)
        out.setdefault(section, {})[key] = found
    return out


def _entries(values: dict[str, Found]) -> list[str]:
    return [f"{key} = {toml_value(found.value)}  # {_mark(found)}{found.how}" for key, found in values.items()]


def _mark(found: Found) -> str:
    if found.stand_in:
        return "guess: a stand-in, listed as not found above: "
    return "guess: " if found.guess else ""


def toml_value(value: Any) -> str:
    """A TOML value: strings as JSON writes them (a valid TOML basic string), booleans, numbers,
    arrays, and inline tables for mappings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)
