"""Recovery Verification (after any incident or restart): health, continuity, observability.

Data integrity after an incident is the post-exam items POST-INT-01 (every
invariant) and POST-INT-02 (nothing lost since the freeze), which carry the
`recovery` marker too: `pytest -m recovery` runs them with these.
"""

from __future__ import annotations

import datetime as dt

import pytest

from examday.checklist import item
from examday.facts.canary import CanaryStudent, load_memory, missing_answers, next_answer, save_memory
from examday.facts.logs import request_id_logged
from examday.facts.metrics import scrape

pytestmark = pytest.mark.recovery
RUNBOOK = "Recovery Verification"


@item("REC-HLT-01", "Health Checks: /health answers 200 and ready reports status ok",
      runbook=f"{RUNBOOK} / Health Checks",
      remediation="Not recovered yet: read the backend's log (`docker logs <backend> --tail=100`) and the ready "
                  "body's failing component; recover that first, then re-run this phase.")
def test_health_and_ready_after_recovery(api, evidence):
    health = api.health()
    evidence.record(health=health)
    assert health.status == 200, f"/health answered {health.status}"
    ready = api.ready()
    evidence.record(ready=ready)
    assert ready.is_ok, ready.describe()


@item("REC-SES-01", "Session Continuity: a student can resume and finds every answer saved before",
      runbook=f"{RUNBOOK} / Session Continuity",
      remediation="Students cannot resume or their answers are gone: stop the incident clock, do not restart "
                  "anything else, and check the backend's log and the session's rows before students retry.")
def test_canary_student_resumes_with_every_answer(api, examday_config, evidence):
    if examday_config.canary is None:
        pytest.skip("no canary student configured ([canary] username, password_env, exam_code)")
    memory = load_memory(examday_config)
    student = CanaryStudent(api, examday_config.canary)
    student.sign_in()
    view = student.start_or_resume()
    lost = missing_answers(view, memory)
    evidence.record(session_id=view.session_id, status=view.status, resumed=view.resumed,
                    saved_before=len(memory.answers.get(view.session_id, {})), answers_missing=lost)
    assert not lost, f"{len(lost)} answer(s) the canary saved before are gone: {lost[:5]}"
    step = next_answer(view)
    if step is not None:
        student.save_answer(view.session_id, *step)
        memory.answers.setdefault(view.session_id, {})[step[0]] = step[1]
        save_memory(memory, examday_config)
        reread = student.view(view.session_id)
        evidence.record(saved_now=step[0], read_back=reread.answers.get(step[0]))
        assert reread.answers.get(step[0]) == step[1], "an answer saved now does not read back"


@item("REC-OBS-01", "Observability: request IDs are traceable in the backend's logs",
      runbook=f"{RUNBOOK} / Observability",
      remediation="The restarted backend does not log requests as before: check its log configuration and the "
                  "container's log driver; without request IDs no incident can be traced.")
def test_request_id_traceable_in_logs(api, docker_engine, examday_config, evidence):
    sent_at = dt.datetime.now(dt.timezone.utc)
    traced = api.ready()  # ready is never sampled out of the logs, unlike /health
    delay = request_id_logged(docker_engine, examday_config, traced.request_id, sent_at)
    evidence.record(traced_request_id=traced.request_id, echoed=traced.observation.echoed_request_id,
                    seconds_to_appear=delay)
    assert traced.observation.echoed_request_id == traced.request_id, (
        f"the API did not echo X-Request-ID {traced.request_id} (sent back {traced.observation.echoed_request_id})")
    assert delay is not None, f"request {traced.request_id} did not appear in the backend's logs within 10 s"


@item("REC-OBS-02", "Observability: metrics are being captured (the counters still count)",
      runbook=f"{RUNBOOK} / Observability",
      remediation="The backend's metrics endpoint does not count requests since the restart: check its "
                  "metrics setup (e.g. the Prometheus multiprocess directory) and that Prometheus scrapes it.")
def test_metrics_still_counting(api, examday_config, evidence):
    path = examday_config.api.metrics_path
    before = scrape(api, path)
    api.ready()
    after = scrape(api, path)
    evidence.record(path=path, samples=after.samples, counters_before=before.counter_total,
                    counters_after=after.counter_total)
    assert after.samples > 0, f"{path} answered without a single metric sample"
    assert after.counter_total > before.counter_total, f"no counter of {path} grew across a request of ours"
