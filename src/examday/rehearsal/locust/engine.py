"""The examday side of a Locust run: start the master (and local workers), wait, read the report back.

Everything Locust runs in child processes (`python -m locust -f locustfile.py`), so gevent never
enters the examday/pytest process. The master gets the job in a file and writes second 0 and,
at the end, its report to files examday watches; a drill learns second 0 from the first
(LoadStart) so its fault lands after the steady period however long the workers took to join.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from examday.errors import ExamdayError
from examday.rehearsal.locust.job import PASSWORD_ENV, LocustJob, PlanRecipe
from examday.rehearsal.locust.second_stats import load_result
from examday.rehearsal.results import LoadResult
from examday.rehearsal.runner import REQUESTS_PER_JOIN, Limits
from examday.rehearsal.schedule import Action

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DEFAULT_PORT = 5557
EXIT_GRACE_S = 60.0  # past the job's own deadline, a master still running is stopped


class LocustRunError(ExamdayError):
    """The Locust run did not happen or did not finish: workers missing, refused, or a process failed."""


@dataclass(frozen=True)
class LocustEngine:
    """How the Locust master runs: ``processes`` local workers, and ``expect_workers`` in all
    (the default: the local ones; the rest join with `examday rehearse --worker --master-host ...`)."""

    processes: int = 2
    expect_workers: int | None = None
    bind_host: str = "127.0.0.1"
    port: int | None = None  # None: a free port (local workers only), else DEFAULT_PORT
    wait_for_workers_s: float = 120.0
    resolve: dict[str, str] = field(default_factory=dict)  # the target's [api] resolve, for every worker
    keep_dir: Path | None = None  # where the run's files (logs, Locust's HTML report) go; None: a temp dir

    @property
    def workers(self) -> int:
        return self.expect_workers or self.processes

    def __post_init__(self) -> None:
        if self.processes < 0 or self.workers < 1:
            raise LocustRunError("the Locust engine needs at least one worker: --processes N on this machine, "
                                 "or --master --expect-workers K with workers elsewhere")
        if self.processes > self.workers:
            raise LocustRunError(f"--expect-workers {self.expect_workers} is fewer than the {self.processes} "
                                 "local worker processes")

    def play_drill(self, drills: Any, recipe: PlanRecipe, limits: Limits,
                   on_start: Callable[[float], None] | None = None) -> LoadResult:
        """A drill's students (drill.Drills: its settings, checked target, accounts, [flow], prefix) on Locust.
        One user per student and one spare per worker (Locust spreads users evenly: every share is played)."""
        rehearsal = drills.rehearsal
        job = LocustJob(
            base_url=drills.target.base_url, workers=self.workers, max_requests=limits.max_requests,
            max_duration_s=limits.max_duration_s, timeout_s=limits.timeout_s,
            allowed_networks=list(rehearsal.allowed_networks), resolve=dict(self.resolve), prefix=drills.prefix,
            flow=drills.flow.model_dump(mode="json") if drills.flow else {}, plan=recipe,
            username_pattern=rehearsal.username_pattern, first_student=rehearsal.first_student,
            password_env=rehearsal.password_env or PASSWORD_ENV, client_network=rehearsal.client_network,
            lead_s=2.0 + recipe.students / 500)
        planned = sum(REQUESTS_PER_JOIN if step.action is Action.JOIN else 1 for step in recipe.steps())
        password = drills.accounts[0].password if drills.accounts else None
        return self.run(job, "StudentUser", recipe.students + self.workers, planned, password, on_start)

    def run(self, job: LocustJob, user_class: str, users: int, planned: int, password: str | None = None,
            on_start: Callable[[float], None] | None = None) -> LoadResult:
        """Play ``job`` with ``users`` Locust users of ``user_class``; the merged result once all are done."""
        folder = Path(tempfile.mkdtemp(prefix="examday-locust-", dir=self.keep_dir))
        port = self.port or (_free_port(self.bind_host) if self.expect_workers in (None, self.processes)
                             else DEFAULT_PORT)
        env = {**os.environ, **({job.password_env: password} if password is not None else {})}
        (folder / "job.json").write_text(job.to_json(), encoding="utf-8")
        master = _start(self._master_argv(folder, user_class, users, port, job), folder / "master.log", env)
        local = [_start(worker_argv("127.0.0.1" if self.bind_host in ("0.0.0.0", "::") else self.bind_host, port,
                                    folder / f"refused-{n}.txt"), folder / f"worker-{n}.log", env)
                 for n in range(self.processes)]
        try:
            zero = self._wait_for_start(master, folder)
            if on_start is not None:
                on_start(zero)
            _wait(master, job.max_duration_s + job.timeout_s + EXIT_GRACE_S)
            report = self._report(folder, master)
        finally:
            _stop([master, *local])
        result = load_result(report, planned)
        if self.keep_dir is None:
            shutil.rmtree(folder, ignore_errors=True)
        return result

    def _master_argv(self, folder: Path, user_class: str, users: int, port: int, job: LocustJob) -> list[str]:
        run_time = int(job.lead_s + job.max_duration_s + job.timeout_s + EXIT_GRACE_S)
        return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), user_class, "--master", "--headless",
                "-u", str(users), "-r", str(users), "--expect-workers", str(self.workers),
                "--expect-workers-max-wait", str(int(self.wait_for_workers_s)),
                "--master-bind-host", self.bind_host, "--master-bind-port", str(port), "--run-time", f"{run_time}s",
                "--exit-code-on-error", "0", "--only-summary", "--loglevel", "WARNING",
                "--html", str(folder / "locust.html"),
                "--examday-job-file", str(folder / "job.json"), "--examday-report", str(folder / "report.json"),
                "--examday-started", str(folder / "started.json")]

    def _wait_for_start(self, master: subprocess.Popen[bytes], folder: Path) -> float:
        """Second 0 of the plan (wall clock), once every expected worker has joined."""
        deadline = time.monotonic() + self.wait_for_workers_s + 30
        while time.monotonic() < deadline:
            started = folder / "started.json"
            if started.exists():
                return float(json.loads(started.read_text(encoding="utf-8"))["zero"])
            if master.poll() is not None:
                break
            time.sleep(0.1)
        raise LocustRunError(f"the Locust master did not start the run: {self._why_not(folder, master)}")

    def _why_not(self, folder: Path, master: subprocess.Popen[bytes]) -> str:
        log = _tail(folder / "master.log")
        if "Gave up waiting for workers" in log or master.poll() is None:
            return (f"fewer than {self.workers} worker(s) connected within {self.wait_for_workers_s:.0f} s; start "
                    f"each with `examday rehearse --worker --master-host <this host> --master-port "
                    f"{self.port or DEFAULT_PORT}`")
        return f"it exited {master.returncode}: {log or 'no output'}"

    def _report(self, folder: Path, master: subprocess.Popen[bytes]) -> dict[str, Any]:
        path = folder / "report.json"
        if not path.exists():
            raise LocustRunError(f"the Locust master left no report (exit {master.returncode}): "
                                 f"{_tail(folder / 'master.log') or 'no output'}")
        report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if report["refused"]:
            raise LocustRunError("a Locust worker refused the run: " + "; ".join(report["refused"]))
        return report


def worker_argv(master_host: str, master_port: int, refusal_file: Path) -> list[str]:
    """A Locust worker for examday's master at master_host:master_port (this machine or another)."""
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host", master_host,
            "--master-port", str(master_port), "--loglevel", "WARNING", "--exit-code-on-error", "0",
            "--examday-refusal-file", str(refusal_file)]


def _start(argv: Sequence[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)


def _wait(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        pass  # _stop ends it; the missing report says what happened


def _stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Each process we started, by its own handle: a grace period (workers get the master's quit), then kill."""
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=3)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


__all__ = ["DEFAULT_PORT", "LOCUSTFILE", "PASSWORD_ENV", "LocustEngine", "LocustRunError", "worker_argv"]
