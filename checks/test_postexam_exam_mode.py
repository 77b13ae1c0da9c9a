"""Post-Exam / Disable Exam Mode: EXAM_MODE back to false and applied, background jobs running again."""

from __future__ import annotations

import pytest

from examday.checklist import Impact, item
from examday.facts.jobs import job_runners_after_exam, observe_jobs, scheduled_job_keys

pytestmark = pytest.mark.postexam
RUNBOOK = "Post-Exam / Disable Exam Mode"


@item("POST-MOD-01", "Disable Exam Mode: exam mode off where the platform reads it, and applied",
      runbook=RUNBOOK, impact=Impact.MEDIUM,
      remediation="Switch exam mode off through the admin API (POST {prefix}/admin/system/exam-mode, phrase "
                  "DISABLE EXAM MODE); on a platform that reads the EXAM_MODE env var, set it false and restart "
                  "the backend. Heavy admin work (imports, ranking, exports) answers 423 until then.",
      references=("docs/platform.md#exam-mode-and-freeze_updates",))
def test_exam_mode_off_and_applied(read_exam_mode, evidence):
    view = read_exam_mode()
    evidence.record(**view.as_evidence())
    problems = view.problems(want=False)
    assert not problems, "; ".join(problems)


@item("POST-JOB-01", "Re-enable background jobs: a crontab entry starts the jobs again",
      runbook=RUNBOOK, impact=Impact.MEDIUM,
      remediation="Restore the crontab lines taken out at the freeze where cron reads them (e.g. "
                  "`0 2 * * * root ... python -m app.jobs.run KEY` in /etc/cron.d); start the job-runner "
                  "container again where the platform has one. The recalculations skipped during the exam "
                  "catch up at their next run.",
      references=("docs/platform.md#background-jobs",))
def test_background_jobs_scheduled_again(docker_engine, examday_config, evidence):
    picture = observe_jobs(docker_engine, examday_config, host_processes=False)
    survey = picture.crontabs
    evidence.record(**survey.as_evidence(), scheduled_job_keys=scheduled_job_keys(survey.job_entries))
    problems = []
    if not survey.job_entries:
        unreadable = survey.unreadable_problem()
        problems.append("no crontab entry starts a job: the jobs never run again"
                        + (f" ({unreadable})" if unreadable else ""))
    runners, runner_problems = job_runners_after_exam(docker_engine, examday_config)
    if runners:
        evidence.record(job_runners=runners)
    problems += runner_problems
    assert not problems, "; ".join(problems)
