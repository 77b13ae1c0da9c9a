"""Recovery Verification (after any incident or restart): health, continuity, observability.

Data integrity after an incident is the post-exam items POST-INT-01 (every
invariant) and POST-INT-02 (nothing lost since the freeze), which carry the
`recovery` marker too: `pytest -m recovery` runs them with these.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict

import pytest

from examday.checklist import deployed, item
from examday.facts.canary import (
    SessionLost, canary_student, load_memory, lost_session_problem, run_canary, save_memory,
)
from examday.facts.health import health_problem
from examday.facts.logged_errors import logged_errors_since, since_recovery
from examday.facts.logs import request_id_logged
from examday.facts.metrics import search_for_marker

pytestmark = pytest.mark.recovery
RUNBOOK = "Recovery Verification"
TRACE_REQUESTS = 6  # spread over the workers (each counts in its own registry)


@item("REC-HLT-01", "Health Checks: /health answers 200 and ready reports status ok",
      runbook=f"{RUNBOOK} / Health Checks",
      remediation="Not recovered yet: read the backend's log (`docker logs <backend> --tail=100`) and the ready "
                  "body's failing component; recover that first, then re-run this phase.",
      references=("docs/platform.md#http-endpoints", "docs/platform.md#traps"))
def test_health_and_ready_after_recovery(api, evidence):
    health = api.health()
    evidence.record(health=health)
    problem = health_problem(health)
    assert problem is None, problem
    ready = api.ready()
    evidence.record(ready=ready)
    assert ready.is_ok, ready.describe()


@item("REC-SES-01", "Session Continuity: a student can resume and finds every answer saved before",
      runbook=f"{RUNBOOK} / Session Continuity",
      remediation="Students cannot resume or their answers are gone: stop the incident clock, do not restart "
                  "anything else, and check the backend's log and the session's rows before students retry.",
      references=("docs/platform.md#sessions",))
def test_canary_student_resumes_with_every_answer(api, examday_config, evidence):
    if examday_config.canary is None:
        pytest.skip("no canary student configured ([canary] username, password_env or password_file)")
    student = canary_student(api, examday_config)
    try:
        outcome, memory = run_canary(student, load_memory(examday_config), examday_config.flow.choices)
    except SessionLost as unreadable:
        evidence.record(session_id=unreadable.session_id)
        pytest.fail(unreadable.reason)
    save_memory(memory, examday_config)  # a lost session is reported once: the next round resumes the new one
    evidence.record(**asdict(outcome))
    lost = lost_session_problem(outcome)
    assert lost is None, lost
    assert not outcome.missing, (f"{len(outcome.missing)} answer(s) the canary saved before are no longer "
                                 f"answered in session {outcome.session_id}: {outcome.missing[:5]}")
    assert outcome.read_back is not False, f"an answer saved now ({outcome.saved_now}) does not read back"


@item("REC-OBS-01", "Observability: request IDs are traceable in the backend's logs",
      runbook=f"{RUNBOOK} / Observability",
      remediation="The restarted backend does not log requests as before: check its log configuration and the "
                  "container's log driver; without request IDs no incident can be traced.",
      references=("docs/platform.md#http-endpoints", "docs/platform.md#logs"))
def test_request_id_traceable_in_logs(api, docker_engine, examday_config, evidence):
    sent_at = dt.datetime.now(dt.timezone.utc)
    traced = api.ready()  # ready is never sampled out of the logs, unlike /health
    delay = request_id_logged(docker_engine, examday_config, traced.request_id, sent_at)
    evidence.record(traced_request_id=traced.request_id, echoed=traced.observation.echoed_request_id,
                    seconds_to_appear=delay)
    assert traced.observation.echoed_request_id == traced.request_id, (
        f"the API did not echo X-Request-ID {traced.request_id} (sent back {traced.observation.echoed_request_id})")
    assert delay is not None, f"request {traced.request_id} did not appear in the backend's logs within 10 s"


@item("REC-OBS-02", "Observability: metrics are being captured (a request of ours is counted)",
      runbook=f"{RUNBOOK} / Observability",
      remediation="The backend's metrics endpoint does not count requests since the restart: check its "
                  "metrics middleware and registry, and that Prometheus scrapes it.",
      references=("docs/platform.md#metrics-and-monitoring", "docs/platform.md#traps"))
def test_metrics_count_a_request_of_ours(api, backend_metrics, examday_config, evidence):
    path = examday_config.api.metrics_path
    # A path never requested before: its raw-path route label makes a series of its own (one per run).
    marker = f"examday-trace-{uuid.uuid4().hex[:12]}"
    marker_path = api.url_for(marker).path  # the backend may see it without a proxy's /api
    answers = [api.get(marker_path).status for _ in range(TRACE_REQUESTS)]
    search = search_for_marker(backend_metrics, path, f"/{marker}")
    evidence.record(path=path, marker_path=marker_path, marker_answers=sorted(set(answers)), scrapes=search.scrapes,
                    samples=search.samples, marker_counted=search.counted,
                    note="each worker has its own registry: a scrape shows the worker that answered it")
    where = f"{backend_metrics.base_url}{path}"
    assert search.samples > 0, f"{where} answered without a single metric sample"
    assert search.counted > 0, (f"none of {search.scrapes} scrapes of {where} counted our {TRACE_REQUESTS} requests "
                                f"to {marker_path}: the metrics do not count requests")


@item("REC-OBS-03", "Observability: no errors in the backend's logs since the incident",
      runbook=f"{RUNBOOK} / Observability",
      remediation="Read the samples' request IDs in the backend's log (`docker logs <backend> --since <time>`); "
                  "a 5xx or a traceback after recovery means it is not over. Give --recovered-at when the "
                  "incident ended later than the last restart.",
      references=("docs/platform.md#logs",))
def test_no_errors_logged_since_the_incident(docker_engine, examday_config, recovered_at, evidence):
    backend = docker_engine.container(deployed(examday_config, "backend"))
    since = since_recovery(docker_engine, examday_config, recovered_at)
    evidence.record(**since.as_evidence(), backend_status=backend.status)
    assert backend.is_running, (f"{backend.name} is {backend.status}: its logs since {since.as_evidence()['since']} "
                                "cannot show that it recovered")
    errors = logged_errors_since(docker_engine, examday_config, since)
    evidence.record(**errors.as_evidence())
    assert not errors.found, errors.problem()
