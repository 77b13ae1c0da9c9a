"""Open-loop arrival schedules: when each simulated student acts, fixed before the run starts.

Open loop is the point: the times come from the profile, never from the
server's answers, so a stalled server cannot slow the arrivals down and hide
its own stall (coordinated omission). A step's latency is later measured from
the time written here.

The three profiles follow the platform's own rehearsal (k6): a session burst
(N students join within M minutes), steady answering (answers arrive at a
rate, each student thinking between answers) and a submit spike (everyone
submits within a short window). ``exam_day`` chains the three. Everything is
pure and deterministic for a given seed; times are seconds from the run's start.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

# Bounds that keep a mistyped profile from planning a week of load or a million students.
MAX_STUDENTS = 100_000
MAX_STEPS = 5_000_000
MAX_SPAN_S = 24 * 3600.0


class Action(Enum):
    """What a student does at a step (students.py turns each into requests)."""

    JOIN = "join"  # log in, find the exam, create (or resume) a session, read its state
    ANSWER = "answer"  # answer the next question (or change an answer once all are answered)
    RESUME = "resume"  # reload: read the session's state again, as after a lost connection
    SUBMIT = "submit"


@dataclass(frozen=True, order=True)
class Step:
    """One planned action: ``at`` seconds after the start, by student number ``student`` (0-based)."""

    at: float
    student: int
    action: Action


def session_burst(students: int, within_s: float, *, seed: int, start_s: float = 0.0) -> list[Step]:
    """``students`` JOIN steps at uniformly random times in [start_s, start_s + within_s)."""
    return _once_each(Action.JOIN, students, within_s, f"burst:{seed}", start_s)


def steady_answering(
    students: int, rate_per_s: float, duration_s: float, *, seed: int, start_s: float = 0.0, resumes: bool = True
) -> list[Step]:
    """ANSWER steps arriving at ``rate_per_s`` in all, spread over ``students`` for ``duration_s``.

    Each student answers as a Poisson process of rate ``rate_per_s / students``:
    exponential think times between answers, mean ``students / rate_per_s``
    seconds. Their superposition arrives at ``rate_per_s``. With ``resumes``
    every student also reloads once (a RESUME step) at a random moment of the
    window, the way a dropped connection does on exam day.
    """
    _check_count("students", students)
    _check_span("duration_s", duration_s)
    if not rate_per_s > 0:
        raise ValueError(f"rate_per_s must be > 0, not {rate_per_s!r}")
    _check_steps(rate_per_s * duration_s)
    mean_think_s = students / rate_per_s
    steps = []
    for index in range(students):
        rng = random.Random(f"steady:{seed}:{index}")  # per student: adding students keeps the others' times
        steps += [Step(start_s + at, index, Action.ANSWER) for at in _poisson_times(rng, mean_think_s, duration_s)]
        if resumes:
            steps.append(Step(start_s + rng.random() * duration_s, index, Action.RESUME))
    return sorted(steps)


def submit_spike(students: int, within_s: float, *, seed: int, start_s: float = 0.0) -> list[Step]:
    """``students`` SUBMIT steps at uniformly random times in [start_s, start_s + within_s)."""
    return _once_each(Action.SUBMIT, students, within_s, f"spike:{seed}", start_s)


def exam_day(
    students: int,
    *,
    join_within_s: float,
    answer_rate_per_s: float,
    answer_for_s: float,
    submit_within_s: float,
    seed: int,
) -> list[Step]:
    """The three profiles back to back: join, answer steadily, submit. One plan, one seed."""
    answering_from = join_within_s
    submitting_from = answering_from + answer_for_s
    return merge(
        session_burst(students, join_within_s, seed=seed),
        steady_answering(students, answer_rate_per_s, answer_for_s, seed=seed, start_s=answering_from),
        submit_spike(students, submit_within_s, seed=seed, start_s=submitting_from),
    )


JOIN_WITHIN_S = 5.0  # the students' session burst at the start of every drill
HAND_IN_WITHIN_S = 2.0  # and their submits once the drill is over


def drill_plan(students: int, rate_per_s: float, steady_s: float, hold_s: float, total_s: float,
               late_joiners: bool) -> list[Step]:
    """A drill's students: everyone joins in a burst and answers steadily; with ``late_joiners``, half
    of them sign in while the fault is in effect ("auth still works" needs logins then) and answer from
    then on. At the end every student hands in: the platform lets a student open a second ACTIVE
    session, so a drill that left its sessions open would make the next one (and POST-INT-01) see two.
    Pure and deterministic: every engine (and every Locust worker) rebuilds the same plan from these."""
    early = students // 2 if late_joiners else students
    plan = merge(session_burst(early, JOIN_WITHIN_S, seed=1),
                 steady_answering(early, rate_per_s, total_s - JOIN_WITHIN_S, seed=2, start_s=JOIN_WITHIN_S))
    if late_joiners:
        joined = steady_s + hold_s / 2 + 1
        late = merge(session_burst(students - early, hold_s / 2, seed=3, start_s=steady_s + 1),
                     steady_answering(students - early, rate_per_s / 2, total_s - joined, seed=4, start_s=joined))
        plan = merge(plan, [Step(s.at, s.student + early, s.action) for s in late])
    return merge(plan, submit_spike(students, HAND_IN_WITHIN_S, seed=5, start_s=total_s))


def constant_rate(rate_per_s: float, duration_s: float) -> list[float]:
    """Evenly spaced send times (like wrk2's -R): the capacity benchmark's schedule."""
    _check_span("duration_s", duration_s)
    if not rate_per_s > 0:
        raise ValueError(f"rate_per_s must be > 0, not {rate_per_s!r}")
    count = int(rate_per_s * duration_s)
    _check_steps(count)
    return [index / rate_per_s for index in range(count)]


def merge(*plans: Iterable[Step]) -> list[Step]:
    """Several sorted plans as one, in time order."""
    merged = list(heapq.merge(*plans))
    _check_steps(len(merged))
    return merged


def span_s(plan: Sequence[Step]) -> float:
    """Seconds from the start to the last planned step."""
    return plan[-1].at if plan else 0.0


def _once_each(action: Action, students: int, within_s: float, seed: str, start_s: float) -> list[Step]:
    """Every student does ``action`` once, at a uniformly random time of the window (a Poisson burst)."""
    _check_count("students", students)
    _check_span("within_s", within_s)
    rng = random.Random(seed)
    return sorted(Step(start_s + rng.random() * within_s, index, action) for index in range(students))


def _poisson_times(rng: random.Random, mean_gap_s: float, duration_s: float) -> list[float]:
    times, at = [], rng.expovariate(1 / mean_gap_s)
    while at < duration_s:  # bounded: _check_steps capped rate * duration before we got here
        times.append(at)
        at += rng.expovariate(1 / mean_gap_s)
    return times


def _check_count(name: str, value: int) -> None:
    if not 0 < value <= MAX_STUDENTS:
        raise ValueError(f"{name} must be between 1 and {MAX_STUDENTS:,}, not {value!r}")


def _check_span(name: str, value: float) -> None:
    if not 0 < value <= MAX_SPAN_S:
        raise ValueError(f"{name} must be more than 0 and at most {MAX_SPAN_S:,.0f} s, not {value!r}")


def _check_steps(count: float) -> None:
    if count > MAX_STEPS:
        raise ValueError(f"the plan would hold {count:,.0f} steps, more than the {MAX_STEPS:,} a run may plan")
