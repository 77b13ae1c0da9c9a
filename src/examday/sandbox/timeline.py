"""The runbook's timeline as data: what each sandbox stage configures and runs.

Each stage is two platform configurations and a set of running services:
- `configured`: what platform.env says, i.e. what the next restart applies;
- `running`: what the backend and worker were last (re)started with;
- whether the background worker runs, and whether simulated students answer.
The day before (preexam) the runbook writes EXAM_MODE=true and disables the
scheduled jobs but restarts nothing, so the live backend still runs in normal
mode and the worker still runs. At the freeze the backend is restarted to apply
it and the worker is stopped. After the exam both are reverted and applied.
"""

from __future__ import annotations

from dataclasses import dataclass

NORMAL = {"EXAM_MODE": "false", "SCHEDULED_JOBS_ENABLED": "true"}
EXAM = {"EXAM_MODE": "true", "SCHEDULED_JOBS_ENABLED": "false"}
STUDENTS_PROFILE = "during"


@dataclass(frozen=True)
class Stage:
    name: str
    summary: str
    configured: dict[str, str]
    running: dict[str, str]
    worker_runs: bool
    students_answer: bool


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("normal", "no exam scheduled: normal mode, background jobs run", NORMAL, NORMAL, True, False),
        Stage("preexam", "the day before: EXAM_MODE=true and jobs disabled in the configuration, "
              "not yet applied (backend in normal mode, worker still running)", EXAM, NORMAL, True, False),
        Stage("freeze", "one hour before: backend restarted into exam mode, worker stopped",
              EXAM, EXAM, False, False),
        Stage("during", "exam live: as the freeze, with simulated students answering",
              EXAM, EXAM, False, True),
        Stage("postexam", "after: EXAM_MODE=false applied, background jobs running again",
              NORMAL, NORMAL, True, False),
    )
}



def expected_services(stage_name: str, all_services: list[str]) -> list[str]:
    """The services that should be up at this stage (the worker stops at the freeze)."""
    stage = STAGES.get(stage_name, STAGES["normal"])
    expected = [s for s in all_services if s != "worker" or stage.worker_runs]
    return expected + (["students"] if stage.students_answer else [])
