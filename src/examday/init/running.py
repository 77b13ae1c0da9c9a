"""What the running stack adds to its compose files, when it runs: the compose project its
containers carry, the program the proxy runs (its image may not say), the log format of the
backend's latest request lines (duration_ms or the runbook era's total_ms), and whether the
database holds the exam-mode flag table.

Read only: container attributes, the tail of one log, one read-only SQL statement through
`docker exec` (the same psql probe the checklist uses). A stack that is not running, or an engine
that does not answer, is a note: the compose file's findings stand alone.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Protocol

from examday.init.found import Discovery, Found
from examday.probes.compose import PROJECT_LABEL
from examday.probes.docker import ContainerNotFound
from examday.probes.errors import ProbeError

LOG_LINES = 2000  # the backend's latest lines: enough for a sample, bounded on a busy backend
LATENCY_FIELDS = ("duration_ms", "total_ms")
FLAG_TABLE = "system_flags"  # where the current platform keeps EXAM_MODE


class Stack(Protocol):
    """The reads init makes of a running stack (DockerStack below; a fake in the tests)."""

    def container(self, name: str) -> Any: ...  # a ContainerObservation; ProbeError when absent

    def logs(self, name: str, tail: int) -> list[str]: ...

    def program(self, name: str) -> str: ...  # what it runs: its path and arguments

    def has_table(self, container: str, dbname: str, user: str, table: str) -> bool: ...


def read_running(stack: Stack, found: Discovery) -> None:
    running = _running_containers(stack, found)
    if not running:
        return
    _project(running, found)
    _proxy_program(stack, found)
    _log_format(stack, found)
    _exam_mode_source(stack, found)


def _running_containers(stack: Stack, found: Discovery) -> dict[str, Any]:
    running: dict[str, Any] = {}
    for role, name in found.containers.items():
        try:
            observed = stack.container(name.value)
        except ContainerNotFound:
            found.notes.append(f"no container {name.value} ({role}) on this engine")
            continue
        except ProbeError as error:  # the engine itself: one note, and compose alone
            found.notes.append(f"running containers not read: {error}")
            return {}
        if observed.is_running:
            running[role] = observed
            found.containers[role] = Found(name.value, f"{name.how}; running")
    if not running:
        found.notes.append("no container of the compose file is running: nothing read from the stack")
    return running


def _project(running: dict[str, Any], found: Discovery) -> None:
    projects = {c.labels.get(PROJECT_LABEL) for c in running.values()} - {None, ""}
    if len(projects) == 1:
        found.values["docker.compose_project_name"] = Found(projects.pop(), f"the {PROJECT_LABEL} label of the "
                                                            "running containers")


def _proxy_program(stack: Stack, found: Discovery) -> None:
    proxy = found.containers.get("proxy")
    if proxy is None or found.values.get("proxy.kind", Found(None, "")).guess is False:
        return
    try:
        program = stack.program(proxy.value).split(" ", 1)[0].rsplit("/", 1)[-1].lower()
    except ProbeError as error:
        found.notes.append(f"the proxy's program not read: {error}")
        return
    for kind in ("traefik", "caddy"):
        if kind in program:
            found.values["proxy.kind"] = Found(kind, f"the running proxy runs {program}")
            if kind != "caddy":  # a published 2019 was taken for Caddy's admin API
                found.values.pop("proxy.admin_url", None)
            return


def _log_format(stack: Stack, found: Discovery) -> None:
    backend = found.containers.get("backend")
    if backend is None:
        return
    try:
        lines = stack.logs(backend.value, tail=LOG_LINES)
    except ProbeError as error:
        found.notes.append(f"the backend's log not read: {error}")
        return
    counts, events = log_sample(lines)
    if not counts:
        found.notes.append(f"no line of the backend's last {len(lines)} carries {' or '.join(LATENCY_FIELDS)}: "
                           "both are read (logs.latency_fields, default)")
        return
    fields = [f for f in LATENCY_FIELDS if counts[f]]
    sample = ", ".join(f"{counts[f]} with {f}" for f in fields)
    found.values["logs.latency_fields"] = Found(fields, f"sampled the backend's last {len(lines)} lines: {sample}")
    event, _ = events.most_common(1)[0]
    found.values["logs.end_event"] = Found(event, "the event of those lines")


def log_sample(lines: list[str]) -> tuple[Counter[str], Counter[str]]:
    """How many JSON lines carry each latency field, and the events those lines are."""
    counts: Counter[str] = Counter()
    events: Counter[str] = Counter()
    for line in lines:
        if not line.startswith("{"):
            continue  # uvicorn's own lines, tracebacks
        try:
            record = json.loads(line)
        except ValueError:
            continue
        carried = [f for f in LATENCY_FIELDS if isinstance(record, dict) and f in record]
        counts.update(carried)
        if carried and isinstance(record.get("event"), str):
            events[record["event"]] += 1
    return counts, events


def _exam_mode_source(stack: Stack, found: Discovery) -> None:
    postgres = found.containers.get("postgres")
    dbname, user = found.values.get("postgres.dbname"), found.values.get("postgres.user")
    if postgres is None or dbname is None or user is None or found.values.get("postgres.via", Found("", "")).value \
            != "docker_exec":
        return
    try:
        exists = stack.has_table(postgres.value, dbname.value, user.value, FLAG_TABLE)
    except ProbeError as error:
        found.notes.append(f"the exam-mode flag table not looked for: {error}")
        return
    previous = found.values["exam_mode.sources"]
    if exists:
        env_note = previous.how.partition("; ")[2]  # EXAM_MODE in the backend's environment, if it is
        found.values["exam_mode.sources"] = Found(["system_flags"], f"the database has the {FLAG_TABLE} table (read "
                                                  "in its container)" + (f"; {env_note}" if env_note else ""))
    else:
        found.values["exam_mode.sources"] = Found(["env"], f"no {FLAG_TABLE} table in the database: the runbook "
                                                  "era's EXAM_MODE variable", guess=True)
