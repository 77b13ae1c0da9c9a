"""The runbook's timeline as data: what each sandbox stage sets on the platform.

Stages change the platform the way its operators do: exam mode through the admin API
(the system_flags row, applied by every worker within its 10 s cache, no restart), jobs
through the host's crontab. FREEZE_UPDATES is off in every stage.

preexam (the day before) already switches exam mode ON: the runbook's "Set EXAM_MODE=true"
and "Verify EXAM_MODE is respected" are pre-exam items, and on the current platform the flag
is applied within seconds, so there is no "configured but not yet applied" state left to
model. Exam mode blocks only heavy admin work (imports, ranking, exports), not students.
The job lines are commented out of the crontab from preexam on; the staging twin follows
the production flag.
"""

from __future__ import annotations

import datetime as dt

from dataclasses import dataclass

from examday.sandbox.state import JOB_KEYS

STUDENTS_PROFILE = "during"


@dataclass(frozen=True)
class Stage:
    name: str
    summary: str
    exam_mode: bool
    jobs_enabled: bool
    students_answer: bool

    @property
    def enabled_jobs(self) -> tuple[str, ...]:
        return JOB_KEYS if self.jobs_enabled else ()


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("normal", "no exam scheduled: exam mode off, the job lines active in the crontab",
              False, True, False),
        Stage("preexam", "the day before: exam mode on (admin API), job lines commented out of the crontab",
              True, False, False),
        Stage("freeze", "one hour before: exam mode on, no job line, no job process", True, False, False),
        Stage("during", "exam live: as the freeze, with simulated students answering", True, False, True),
        Stage("postexam", "after: exam mode off, the job lines back in the crontab", False, True, False),
    )
}


def expected_services(stage_name: str, all_services: list[str]) -> list[str]:
    """The services that should be up at this stage."""
    stage = STAGES.get(stage_name, STAGES["normal"])
    return list(all_services) + (["students"] if stage.students_answer else [])


# The sandbox's exam, as its stages see it: when it starts relative to the moment the stage is
# applied (so a record names how long before the start it ran), and how long it lasts.
EXAM_DURATION = dt.timedelta(hours=3)
EXAM_STARTS_IN = {
    "normal": dt.timedelta(days=7),
    "preexam": dt.timedelta(hours=24),
    "freeze": dt.timedelta(hours=1),
    "during": -dt.timedelta(minutes=30),
    "postexam": -(EXAM_DURATION + dt.timedelta(minutes=15)),
}


def exam_window(stage_name: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(starts_at, ends_at) of the sandbox's exam at this stage, to the second."""
    starts = (now + EXAM_STARTS_IN.get(stage_name, EXAM_STARTS_IN["normal"])).replace(microsecond=0)
    return starts, starts + EXAM_DURATION
