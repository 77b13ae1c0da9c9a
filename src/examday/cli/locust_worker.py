"""`examday rehearse`'s Locust options: checked into the pytest child's arguments, and `--worker`.

A worker needs no examday.toml: the master sends it the target, the allowed networks, the plan
and the caps, and it checks the target itself (exit 2, one message, if outside them). Every drill
is a new master, so a worker serves one run after another until no master has come for Locust's
connection timeout (5 minutes).
"""

from __future__ import annotations

import signal
import subprocess
import tempfile
from pathlib import Path
from types import FrameType

from examday.cli.output import console, fail

ENGINES = ("examday", "locust")


def engine_args(engine: str, processes: int | None, master: bool, expect_workers: int | None, bind_host: str,
                port: int, wait_s: float) -> list[str]:
    """The pytest child's options for the chosen engine; one clear message for any that do not fit."""
    if engine not in ENGINES:
        fail(f"unknown engine {engine!r}: choose examday (built in) or locust")
    if engine == "examday":
        if processes is not None or master or expect_workers is not None:
            fail("--processes, --master and --expect-workers go with --engine locust")
        return []
    if master and expect_workers is None:
        fail("--master needs --expect-workers K: how many workers to wait for before each drill")
    if not master and expect_workers is not None:
        fail("--expect-workers goes with --master (workers from other machines)")
    local = processes if processes is not None else (0 if master else 2)
    if local < 0 or (not master and local < 1):
        fail(f"--processes must be at least {0 if master else 1}, not {local}")
    if expect_workers is not None and not max(local, 1) <= expect_workers <= 1000:
        fail(f"--expect-workers must be between {max(local, 1)} and 1000, not {expect_workers}")
    if not 1 <= port <= 65535:
        fail(f"--master-port must be a TCP port (1 to 65535), not {port}")
    if not 1 <= wait_s <= 3600:
        fail(f"--wait-for-workers must be between 1 and 3600 seconds, not {wait_s:g}")
    args = ["--examday-engine=locust", f"--examday-locust-processes={local}", f"--examday-locust-wait={wait_s:g}"]
    if master:
        args += [f"--examday-locust-expect-workers={expect_workers}", f"--examday-locust-bind={bind_host}",
                 f"--examday-locust-port={port}"]
    return args


def serve_worker(master_host: str | None, port: int) -> None:
    """Locust workers for the master at master_host:port, one run after another."""
    from examday.rehearsal.locust.engine import worker_argv

    if not master_host:
        fail("--worker needs --master-host: the machine running `examday rehearse --engine locust --master`")
    if not 1 <= port <= 65535:
        fail(f"--master-port must be a TCP port (1 to 65535), not {port}")
    served = 0
    while True:  # bounded: a worker with no master gives up after Locust's connection timeout
        refusal = Path(tempfile.mkdtemp(prefix="examday-worker-")) / "refused.txt"
        code = _run_worker(worker_argv(master_host, port, refusal))
        if refusal.exists():
            fail(f"this worker refused the run: {refusal.read_text(encoding='utf-8')}")
        if code != 0:
            break
        served += 1
        console.print(f"examday worker: run {served} done; waiting for the next drill's master")
    if not served:
        fail(f"no examday master answered at {master_host}:{port}: start `examday rehearse --engine locust "
             f"--master --expect-workers K` there first, and check that port {port} is reachable")
    console.print(f"examday worker: {served} run(s) served; no master since: done")


def _run_worker(argv: list[str]) -> int:
    """One Locust worker process; a SIGTERM to this command ends it too (no worker is left behind)."""
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
