"""What the Locust master sends every worker: the target, where load may go, the plan's recipe, the caps.

It travels as one JSON string in Locust's own options (a custom argument, forwarded to every
worker with the spawn message), so a worker on another machine needs nothing but
`pip install examday` and the students' password in its environment (the password never
crosses the master/worker channel, which is not encrypted). The plan is sent as its recipe,
not its steps: `schedule.drill_plan` is deterministic, so each worker rebuilds the very plan the
built-in engine would play and keeps its own share of the students (a national exam's plan
would be megabytes of steps).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from examday.errors import ExamdayError
from examday.rehearsal.schedule import Action, Step, drill_plan
from examday.rehearsal.students import Account, addresses_in, numbered_accounts
from examday.rehearsal.target import LOOPBACK, Target, resolve_target

JOB_VERSION = 1
PASSWORD_ENV = "EXAMDAY_REHEARSAL_PASSWORD"  # where a worker reads the students' password by default


class JobError(ExamdayError):
    """A job a worker cannot play: malformed, from another examday version, or missing its password."""


@dataclass(frozen=True)
class PlanRecipe:
    """The arguments of schedule.drill_plan."""

    students: int
    rate_per_s: float
    steady_s: float
    hold_s: float
    total_s: float
    late_joiners: bool = False

    def steps(self) -> list[Step]:
        return drill_plan(self.students, self.rate_per_s, self.steady_s, self.hold_s, self.total_s,
                          self.late_joiners)


@dataclass(frozen=True)
class LocustJob:
    """One load run on Locust. ``plan`` plays students; without it every user repeats GET ``fixed_path``
    as fast as the server answers (closed loop: the engines' bench)."""

    base_url: str
    workers: int  # the workers the master waits for; student s is played by worker s % workers
    max_requests: int  # for the whole run; each worker may send its share (max_requests / workers)
    max_duration_s: float  # every worker stops by then, counted from second 0, whatever the master says
    timeout_s: float = 10.0
    allowed_networks: list[str] = field(default_factory=lambda: list(LOOPBACK))
    resolve: dict[str, str] = field(default_factory=dict)
    prefix: str = "/v1"
    flow: dict[str, Any] = field(default_factory=dict)  # StudentFlowConfig's fields; {}: the defaults
    plan: PlanRecipe | None = None
    steps: list[tuple[float, int, str]] | None = None  # an explicit plan instead (tests)
    username_pattern: str = "student{:03d}"
    first_student: int = 1
    password_env: str = PASSWORD_ENV
    client_network: str | None = None
    fixed_path: str = "/health"
    lead_s: float = 2.0  # from the master's test start to second 0: the spawn message reaches every worker

    def to_json(self) -> str:
        return json.dumps({"version": JOB_VERSION, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> LocustJob:
        try:
            data = json.loads(text)
            if data.pop("version", None) != JOB_VERSION:
                raise JobError("the master runs another examday version than this worker: install the same one")
            plan = data.pop("plan", None)
            steps = data.pop("steps", None)
            return cls(**data, plan=PlanRecipe(**plan) if plan else None,
                       steps=[(float(at), int(who), str(what)) for at, who, what in steps] if steps else None)
        except (TypeError, ValueError, KeyError) as error:
            raise JobError(f"the master sent a job this worker cannot read ({type(error).__name__}: {error}): "
                           "are master and worker the same examday version?") from None

    @property
    def plays_students(self) -> bool:
        return self.plan is not None or self.steps is not None

    @property
    def students(self) -> int:
        if self.plan is not None:
            return self.plan.students
        return max((who for _, who, _ in self.steps or ()), default=-1) + 1

    def plan_steps(self) -> list[Step]:
        if self.steps is not None:
            return [Step(at, who, Action(what)) for at, who, what in self.steps]
        return self.plan.steps() if self.plan else []

    def shard(self, worker_index: int) -> list[int]:
        """The students worker ``worker_index`` plays."""
        return list(range(worker_index, self.students, self.workers))

    def requests_per_worker(self) -> int:
        return max(1, math.ceil(self.max_requests / self.workers))

    def check_target(self) -> Target:
        """The target, checked on this machine against the allowed networks (TargetRefused if not)."""
        return resolve_target(self.base_url, allowed=self.allowed_networks, resolve=self.resolve)

    def accounts(self) -> list[Account]:
        password = os.environ.get(self.password_env)
        if password is None:
            raise JobError(f"the students' password is not in this worker's environment: export "
                           f"{self.password_env} (the one password of [rehearsal]) before starting the worker")
        return numbered_accounts(self.students, password, pattern=self.username_pattern, first=self.first_student)

    def addresses(self) -> list[str]:
        return addresses_in(self.client_network, self.students)
