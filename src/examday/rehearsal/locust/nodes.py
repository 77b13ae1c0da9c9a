"""The master and its workers around one run (gevent: loaded only inside Locust's processes).

The master reads the job (--examday-job-file), and at the test's start fixes second 0 a little
ahead (``lead_s``) and sends both to every worker with Locust's spawn message. A worker checks
the target on its own machine against the allowed networks the master sent and refuses
anything else (it tells the master, exits 2, sends nothing); it then plays its share of the
students, never beyond its caps (its share of max_requests, max_duration from second 0: they
hold even if the master is gone). It sends its per-second buckets with every Locust stats
report and, once its students are done, a final message with the rest, its ledger and its
notes. The master merges them and, when every worker has finished (or at its own deadline),
writes one JSON report and quits: examday reads it (second_stats.load_result).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from examday.config import StudentFlowConfig
from examday.rehearsal.ledger import AnswerLedger
from examday.rehearsal.locust.job import JobError, LocustJob
from examday.rehearsal.locust.second_stats import SecondBuckets, ledger_from_wire, ledger_to_wire
from examday.rehearsal.schedule import Step
from examday.rehearsal.students import Student
from examday.rehearsal.target import TargetRefused

logger = logging.getLogger("examday")
FINAL, REFUSED = "examday_final", "examday_refused"
MASTER_GRACE_S = 15.0  # past the time cap and a request's timeout, the master writes what it has
_state: dict[str, Any] = {}


def current_run() -> WorkerRun | None:
    return _state.get("worker")


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--examday-job-file", default="", help="examday: the job (master)", include_in_web_ui=False)
    parser.add_argument("--examday-report", default="", help="examday: write the report here (master)",
                        include_in_web_ui=False)
    parser.add_argument("--examday-started", default="", help="examday: note second 0 here (master)",
                        include_in_web_ui=False)
    parser.add_argument("--examday-refusal-file", default="", help="examday: a refusal's reason (worker)",
                        include_in_web_ui=False)
    # Sent by the master to every worker, with the spawn message (never given on a command line).
    parser.add_argument("--examday-job", default="", help=None, include_in_web_ui=False)
    parser.add_argument("--examday-zero", type=float, default=0.0, help=None, include_in_web_ui=False)


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        options = environment.parsed_options
        options.examday_job = Path(options.examday_job_file).read_text(encoding="utf-8")
        _state["master"] = MasterRun(environment, LocustJob.from_json(options.examday_job))
        runner.register_message(FINAL, lambda environment, msg: _state["master"].final(msg.node_id, msg.data))
        runner.register_message(REFUSED, lambda environment, msg: _state["master"].refused(msg.data))


@events.test_start.add_listener
def _on_test_start(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        _state["master"].start()
    elif isinstance(environment.runner, WorkerRunner):
        _start_worker(environment)


@events.report_to_master.add_listener
def _on_report(client_id: str, data: dict[str, Any]) -> None:
    run = current_run()
    if run is not None:
        data["examday"] = run.buckets.drain()


@events.worker_report.add_listener
def _on_worker_report(client_id: str, data: dict[str, Any]) -> None:
    master = _state.get("master")
    if master is not None and "examday" in data:
        master.buckets.merge(data["examday"])


def _start_worker(environment: Any) -> None:
    options = environment.parsed_options
    try:
        job = LocustJob.from_json(options.examday_job)
        _state["worker"] = WorkerRun(environment, job, float(options.examday_zero))
    except (TargetRefused, JobError) as refused:
        _refuse(environment, str(refused))


def _refuse(environment: Any, reason: str) -> None:
    """Send nothing; say why once (to the master, and to examday's file or the log); exit 2."""
    path = environment.parsed_options.examday_refusal_file
    if path:
        Path(path).write_text(reason, encoding="utf-8")
    else:
        logger.error("examday: this worker refuses the run: %s", reason)
    environment.runner.send_message(REFUSED, {"reason": reason, "worker": environment.runner.worker_index})
    environment.process_exit_code = 2
    gevent.spawn_later(0.5, environment.runner.quit)


class WorkerRun:
    """One worker's share of the run: its students, its caps, its buckets and its ledger."""

    def __init__(self, environment: Any, job: LocustJob, zero: float) -> None:
        self.environment, self.job, self.zero = environment, job, zero
        self.target = job.check_target()  # on this machine, before anything is sent
        self.connect_url = self._connect_url()
        self.buckets = SecondBuckets(zero)
        self.ledger, self.notes = AnswerLedger(), Counter[str]()
        self.cut, self.stopped_by, self.final_sent, self.ready = False, None, False, False
        self.sent, self.budget = 0, job.requests_per_worker()
        shard = job.shard(environment.runner.worker_index) if job.plays_students else []
        self._steps: dict[int, list[Step]] = {number: [] for number in shard}
        for step in job.plan_steps():
            if step.student in self._steps:
                self._steps[step.student].append(step)
        self._unclaimed = deque(self._students(shard)) if shard else deque()
        self.playing, self.finished = len(shard), 0
        gevent.spawn_later(max(zero + job.max_duration_s - time.time(), 0), self._time_cap)
        if job.plays_students and not shard:
            gevent.spawn_later(max(zero - time.time(), 0) + 0.5, self.send_final)  # more workers than students
        self.ready = True

    def _connect_url(self) -> str:
        # Plain HTTP connects to the checked address itself; HTTPS needs the name for the certificate
        # check, so that connection is made by name (checked here, once, as resolve_target does).
        if self.target.tls is not None:
            return self.target.base_url
        address = f"[{self.target.address}]" if ":" in self.target.address else self.target.address
        return f"http://{address}:{self.target.port}"

    def _students(self, shard: list[int]) -> list[Student]:
        accounts, addresses = self.job.accounts(), self.job.addresses()
        flow = StudentFlowConfig(**self.job.flow)
        return [Student(number, accounts[number], 0, flow, self.ledger, self.notes,
                        addresses[number] if number < len(addresses) else None) for number in shard]

    def claim_student(self) -> Student | None:
        """The next unplayed student of this worker's share (None: a spare user, it idles)."""
        return self._unclaimed.popleft() if self._unclaimed else None

    def steps_of(self, number: int) -> list[Step]:
        return self._steps[number]

    def may_send(self) -> str | None:
        """None if one more request may go; else why not ("cut": past the time cap, "capped")."""
        if self.cut:
            return "cut"
        if self.sent >= self.budget:
            self.stopped_by = self.stopped_by or "max_requests"
            return "capped"
        self.sent += 1
        return None

    def student_done(self) -> None:
        self.finished += 1
        if self.finished >= self.playing:
            self.send_final()

    def _time_cap(self) -> None:
        self.cut, self.stopped_by = True, self.stopped_by or ("max_duration" if self.job.plays_students else None)
        # Requests in flight end within their timeout; then report, whatever a stuck user does.
        gevent.spawn_later(self.job.timeout_s + 1.0, self.send_final)
        if not self.job.plays_students:
            gevent.spawn_later(self.job.timeout_s + 0.2, self.send_final)

    def send_final(self) -> None:
        if self.final_sent:
            return
        self.final_sent = True
        self.environment.runner.send_message(FINAL, {
            "stats": self.buckets.drain(), "ledger": ledger_to_wire(self.ledger), "notes": dict(self.notes),
            "stopped_by": self.stopped_by, "sent": self.sent, "students": self.playing})


class MasterRun:
    """The merge of every worker's reports, written once as the run's report."""

    def __init__(self, environment: Any, job: LocustJob) -> None:
        self.environment, self.job = environment, job
        self.zero = 0.0
        self.buckets = SecondBuckets(0.0)
        self.ledger, self.notes = AnswerLedger(), Counter[str]()
        self.finished: dict[str, dict[str, Any]] = {}
        self.refusals: list[str] = []
        self.workers, self.done = 0, False

    def start(self) -> None:
        options = self.environment.parsed_options
        self.zero = options.examday_zero = time.time() + self.job.lead_s
        self.buckets.zero = self.zero
        self.workers = self.environment.runner.worker_count
        if options.examday_started:
            _write_json(options.examday_started, {"zero": self.zero, "workers": self.workers})
        deadline = self.zero + self.job.max_duration_s + self.job.timeout_s + MASTER_GRACE_S
        gevent.spawn_later(max(deadline - time.time(), 0), self.finish)

    def final(self, client_id: str, data: dict[str, Any]) -> None:
        self.buckets.merge(data["stats"])
        ledger_from_wire(data["ledger"], into=self.ledger)
        self.notes.update(data["notes"])
        self.finished[client_id] = {"sent": data["sent"], "students": data["students"],
                                    "stopped_by": data["stopped_by"], "at": time.time()}
        if len(self.finished) >= self.workers:
            self.finish()

    def refused(self, data: dict[str, Any]) -> None:
        self.refusals.append(f"worker {data.get('worker')}: {data.get('reason')}")
        self.finish()

    def finish(self) -> None:
        if self.done:
            return
        self.done = True
        ended = max((f["at"] for f in self.finished.values()), default=time.time())
        stopped = [f["stopped_by"] for f in self.finished.values() if f["stopped_by"]]
        if len(self.finished) < self.workers and not self.refusals:
            stopped.append("max_duration")  # a worker never reported: the master's deadline ended the run
        wire = self.buckets.drain()
        _write_json(self.environment.parsed_options.examday_report, {
            "started_at": self.zero, "ended_at": ended, "workers": self.workers,
            "finished_workers": len(self.finished), "seconds": wire["seconds"], "examples": wire["examples"],
            "ledger": ledger_to_wire(self.ledger), "notes": dict(self.notes), "refused": self.refusals,
            "stopped_by": stopped[0] if stopped else None,
            "sent_by_worker": [f["sent"] for f in self.finished.values()]})
        self.environment.process_exit_code = 2 if self.refusals else 0
        gevent.spawn_later(0.1, self.environment.runner.quit)


def _write_json(path: str, data: dict[str, Any]) -> None:
    """Whole or not at all: examday reads the file as soon as it exists."""
    if not path:
        return
    partial = f"{path}.partial"
    Path(partial).write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, path)
