"""The drills' faults, done to the target's containers and always undone.

The only place examday changes a target's containers, and only from the
rehearsal phase (never production unless forced). Each fault is a context
manager: entering breaks one thing the way it breaks in real life, leaving
puts it back, whatever happened in between.

- a container stopped (Redis down for a minute),
- one web-server worker process killed (SIGKILL, the way the OOM killer does),
- a container restarted (a deploy or a crash),
- the database unresponsive: its container frozen, then restarted (the
  runbook's remedy for a database that does not answer),
- the full system restart: everything stopped, the infrastructure started and
  waited for until healthy, then the application (the runbook's order),
- a rollback: the application's containers redeployed on their previous images,
  then rolled forward (examday.rehearsal.redeploy),
- database latency: the database container frozen (cgroup freezer, `docker
  pause`) for part of every period. This kernel has no netem, and a proxy in
  front of PostgreSQL would hide from pg_stat_activity which connections are
  the backend's; freezing delays every query the way a stalled disk does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from examday.facts.processes import uvicorn_worker_pids
from examday.rehearsal.redeploy import kept_name, redeploy, restore

REPLACE_TIMEOUT_S = 30.0
THAWED_BEFORE_RESTART_S = 2.0


class Engine:
    """Container operations on the target's Docker engine (the SDK client of a DockerProbe)."""

    def __init__(self, docker: Any) -> None:
        self.docker = docker  # a DockerProbe (or its Guarded wrapper): reads go through it
        self.client = docker.client

    def container(self, name: str) -> Any:
        return self.client.containers.get(name)

    def worker_pids(self, name: str) -> list[int]:
        """The web server's worker pids as the container sees them (what `kill` there understands)."""
        return uvicorn_worker_pids(self.docker.processes_from_proc(name))

    def wait_healthy(self, name: str, timeout: float = REPLACE_TIMEOUT_S) -> float:
        """Seconds until the container reports healthy (or running, without a healthcheck)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            state = self.container(name).attrs["State"]
            health = state.get("Health", {}).get("Status")
            if state.get("Running") and health in (None, "healthy"):
                return round(time.monotonic() - started, 1)
            time.sleep(0.5)
        raise TimeoutError(f"{name} did not become healthy within {timeout:g} s")


@contextmanager
def container_stopped(engine: Engine, name: str) -> Iterator[None]:
    engine.container(name).stop(timeout=10)
    try:
        yield
    finally:
        engine.container(name).start()
        engine.wait_healthy(name)


@contextmanager
def worker_killed(engine: Engine, name: str) -> Iterator[dict[str, Any]]:
    """Kill one worker; on leaving, wait for the master to have replaced it. Yields what was seen."""
    before = engine.worker_pids(name)
    if not before:
        raise RuntimeError(f"no web-server worker processes found in {name}")
    seen: dict[str, Any] = {"workers_before": len(before), "killed_pid": before[0]}
    engine.container(name).exec_run(["kill", "-KILL", str(before[0])])
    try:
        yield seen
    finally:
        seen["replaced_after_s"] = _until_workers(engine, name, len(before))


def _until_workers(engine: Engine, name: str, count: int) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < REPLACE_TIMEOUT_S:
        if len(engine.worker_pids(name)) >= count:
            return round(time.monotonic() - started, 1)
        time.sleep(0.5)
    return None


@contextmanager
def container_restarted(engine: Engine, name: str) -> Iterator[dict[str, Any]]:
    started = time.monotonic()
    engine.container(name).restart(timeout=10)
    seen: dict[str, Any] = {}
    try:
        seen["healthy_after_s"] = round(engine.wait_healthy(name) + time.monotonic() - started, 1)
        yield seen
    finally:
        engine.wait_healthy(name)


@contextmanager
def container_frozen_then_restarted(engine: Engine, name: str) -> Iterator[dict[str, Any]]:
    """Freeze the container (it answers nothing, holds every connection); on leaving, thaw it, and a
    moment later restart it as the runbook says (`docker compose restart postgres`), until healthy:
    the stalled requests end first, as they do when a stall clears before the operator acts."""
    container = engine.container(name)
    container.pause()
    seen: dict[str, Any] = {}
    try:
        yield seen
    finally:
        _thawed(container, name)
        time.sleep(THAWED_BEFORE_RESTART_S)
        started = time.monotonic()
        container.restart(timeout=10)
        seen["healthy_after_s"] = round(engine.wait_healthy(name) + time.monotonic() - started, 1)


class Steps:
    """What a drill did and when (seconds from its start), for the record."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.done: list[dict[str, Any]] = []

    def __call__(self, did: str) -> None:
        self.done.append({"at_s": round(time.monotonic() - self.started, 1), "did": did})

    @property
    def last_at_s(self) -> float | None:
        return self.done[-1]["at_s"] if self.done else None


@contextmanager
def full_system_restart(engine: Engine, infrastructure: list[str], application: list[str]) -> Iterator[dict[str, Any]]:
    """The runbook's Full System Restart. Entering stops everything, the application first (the order
    `compose down` stops in); leaving starts the infrastructure and waits until each is healthy
    (instead of `sleep 30`), then the application likewise. Every container is started whatever
    failed before it: the drill never leaves the platform down."""
    steps = Steps()
    seen: dict[str, Any] = {"steps": steps.done}
    try:
        for name in application + infrastructure:
            engine.container(name).stop(timeout=10)
            steps(f"stopped {name}")
        yield seen
    finally:
        failures = [*_started_healthy(engine, infrastructure, steps), *_started_healthy(engine, application, steps)]
        seen["back_after_s"] = steps.last_at_s
        if failures:
            raise RuntimeError("after the full restart: " + "; ".join(failures))


def _started_healthy(engine: Engine, names: list[str], steps: Steps) -> list[str]:
    failures = []
    for name in names:
        try:
            engine.container(name).start()
            steps(f"started {name}")
        except Exception as error:  # noqa: BLE001 - start the others, report this one
            failures.append(f"{name} did not start: {error}")
    return failures + _healthy(engine, names, steps, "healthy")


def _healthy(engine: Engine, names: list[str], steps: Steps, said: str) -> list[str]:
    failures = []
    for name in names:
        try:
            engine.wait_healthy(name)
            steps(f"{name} {said}")
        except TimeoutError as error:
            failures.append(str(error))
    return failures


@contextmanager
def rolled_back(engine: Engine, previous: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The Rollback Plan: each container (name -> its previous image) redeployed on that image, until
    healthy; leaving rolls forward to the very containers that ran before, until healthy."""
    steps = Steps()
    seen: dict[str, Any] = {"steps": steps.done, "previous": dict(previous)}
    try:
        for name, image in previous.items():
            redeploy(engine.client, name, image)
            steps(f"{name} redeployed on {image}")
            engine.wait_healthy(name)
            steps(f"{name} healthy on {image}")
        seen["rolled_back_after_s"] = steps.last_at_s
        yield seen
    finally:
        failures = []
        for name in previous:
            try:
                restore(engine.client, name)
                steps(f"{name} rolled forward")
            except Exception as error:  # noqa: BLE001 - roll the others forward, say how to finish this one
                failures.append(f"rolling {name} forward failed ({error}): its original container is "
                                f"{kept_name(name)}: `docker rm -f {name} && docker rename {kept_name(name)} {name} "
                                f"&& docker start {name}`")
        failures += _healthy(engine, list(previous), steps, "healthy again")
        seen["rolled_forward_after_s"] = steps.last_at_s
        if failures:
            raise RuntimeError("; ".join(failures))


@contextmanager
def container_frozen_in_bursts(engine: Engine, name: str, freeze_ms: int, period_ms: int) -> Iterator[None]:
    """Freeze the container `freeze_ms` of every `period_ms` until the block ends; always thawed."""
    container = engine.container(name)
    stop = threading.Event()

    def bursts() -> None:
        while not stop.is_set():
            container.pause()
            try:
                stop.wait(freeze_ms / 1000)
            finally:
                container.unpause()
            stop.wait((period_ms - freeze_ms) / 1000)

    thread = threading.Thread(target=bursts, name=f"freeze-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        _thawed(container, name)


THAW_ATTEMPTS = 5


def _thawed(container: Any, name: str) -> None:
    """Never leave the container frozen. Seen here once: the runtime hung on a pause under load and
    the unpause that followed failed; a later attempt, after the runtime caught up, thawed it."""
    for attempt in range(1, THAW_ATTEMPTS + 1):
        try:
            container.reload()
            if container.status == "paused":
                container.unpause()
            return
        except Exception as error:  # noqa: BLE001 - docker's errors and timeouts alike: try again
            if attempt == THAW_ATTEMPTS:
                raise RuntimeError(f"{name} is still frozen after {THAW_ATTEMPTS} attempts to thaw it ({error}): "
                                   f"run `docker unpause {name}` now, or `docker restart {name}`") from error
        time.sleep(attempt)
