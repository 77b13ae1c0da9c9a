"""Rehearsal: the runbook's promises under load, as drills (steady state, fault, verify, rollback).

Never against production unless forced (--i-know-this-is-production): the
drills stop Redis, kill and restart the backend and slow the database. Each
drill plays simulated students (open loop, [rehearsal]) against the API, puts
its fault in the middle, undoes it in a `finally`, and then checks the promise
and that every answer the platform acknowledged is in the database.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from examday.checklist import item
from examday.facts.reconcile import reconcile
from examday.facts.rollback import as_evidence, rollback_candidates, without_previous
from examday.rehearsal import latency_svg
from examday.rehearsal.drill import JOIN_WITHIN_S, DrillRun, median_p95, observed_during, totals
from examday.rehearsal.faults import (
    container_frozen_in_bursts, container_frozen_then_restarted, container_restarted, container_stopped,
    full_system_restart, rolled_back, worker_killed,
)

pytestmark = pytest.mark.rehearsal
RUNBOOK = "Rehearsal (the runbook's Troubleshooting and Recovery Verification promises)"
GRACE_S = 3.0  # after a fault is undone, in-flight requests and reconnections settle
RESTART_BUDGET_S = 20.0  # a backend restart, until healthy, on top of the drill's own periods
REDIS_START_BUDGET_S = 10.0  # Redis started again, until healthy


def record_drill(run: DrillRun, postgres, examday_config, evidence) -> None:
    """The drill's figures, its latency plot with the fault shaded, and the reconciliation."""
    result = run.result
    before, during, after = (totals(run.before()), totals(run.during(GRACE_S)), totals(run.after(GRACE_S)))
    reconciled = reconcile(postgres, result.ledger)
    evidence.record(
        load_engine=result.engine, load_workers=result.workers,
        fault=run.window.label, fault_window_s=[round(run.start_s, 1), round(run.end_s, 1)], fault_reported=run.seen,
        latency_ms={"p50": result.p50_ms, "p95": result.p95_ms, "p99": result.p99_ms, "max": result.max_ms},
        throughput_rps=round(result.throughput_rps, 1), requests_sent=result.sent, errors_by_class=result.errors,
        requests_errors={"before": before, "during": during, "after": after}, student_notes=result.notes,
        generator_lateness_p99_ms=result.send_lag_p99_ms, stopped_by=result.stopped_by, reconciliation=reconciled)
    evidence.figure("latency over time, fault shaded",
                    latency_svg(result, [run.window], limit_ms=examday_config.thresholds.p95_ms))
    assert result.sent > 0 and result.ledger is not None and result.ledger.acknowledged, (
        "no answer was acknowledged at all: the load never reached a working platform")
    lost_on_resume = result.notes.get("acknowledged answers missing on resume", 0)
    assert not lost_on_resume, f"{lost_on_resume} acknowledged answer(s) were missing when students resumed"
    assert not reconciled.missing_count, (
        f"answers lost: {reconciled.missing_count} of {reconciled.acknowledged} acknowledged answers are not in "
        f"the database as sent, first {reconciled.missing[:3]}")


def signed_out(run: DrillRun) -> dict[str, int]:
    """The students' 401s: a drill is shorter than an access token's life, so a 401 means the fault
    forgot the sign-in. The simulated students sign in again at once; a real one is sent to the
    login page mid-exam."""
    return {note: n for note, n in run.result.notes.items() if note.endswith("HTTP 401")}


def served_again(run: DrillRun, api, evidence, after_what: str) -> None:
    """After the fault: every request of the load served, no student signed out, health and ready ok."""
    requests, errors = totals(run.after(GRACE_S))
    assert requests, f"no load was left after {after_what} to judge"
    # Signed out first: students signing in again all at once can fail requests of their own.
    assert not signed_out(run), (f"promise broken: {after_what} signed students out ({signed_out(run)}): sign-ins "
                                 "must outlive it")
    assert not errors, (f"promise broken: after {after_what} {errors} of {requests} requests still failed "
                        f"({run.result.examples}): students could not carry on")
    health, ready = api.health(), api.ready()
    evidence.record(health_after=health.status, ready_after=ready)
    assert health.status == 200, f"promise broken: after {after_what} /health answered {health.status}"
    assert ready.is_ok, f"promise broken: after {after_what} {ready.describe()}"


def logged_since(docker_engine, examday_config, since: dt.datetime, event: str) -> int:
    lines = docker_engine.logs(examday_config.docker.containers.backend, since=since)
    return sum(1 for line in lines if f'"{event}"' in line)


@item("REH-RED-01", "Redis failure: rate limiting temporarily bypassed, auth still works, no answer lost",
      runbook=f"{RUNBOOK} / Redis failure",
      remediation="With Redis down the backend must fail open fast and keep auth out of Redis. The platform's "
                  "Redis client has no circuit breaker (1 s timeouts, default retries, name resolution of the "
                  "stopped container): every call touching Redis waits; fix that before the exam.",
      references=("docs/platform.md#when-redis-is-down", "docs/platform.md#sign-in-and-rate-limits"))
def test_redis_outage_under_load(drills, docker_engine, postgres, examday_config, evidence):
    redis = examday_config.docker.containers.redis
    run = drills.run(lambda: container_stopped(drills.engine, redis), f"{redis} stopped",
                     drills.rehearsal.redis_outage_seconds, late_joiners=True, settle_s=REDIS_START_BUDGET_S)
    requests, errors = totals(run.during())
    bypassed = logged_since(docker_engine, examday_config, run.window.start, "rate_limit.bypassed")
    evidence.record(rate_limit_bypass_log_lines=bypassed, late_logins=len(drills.accounts) - len(drills.accounts) // 2)
    record_drill(run, postgres, examday_config, evidence)
    assert requests, "no request was scheduled while Redis was down: the drill proves nothing"
    failed_logins = {k: v for k, v in run.result.notes.items() if k.startswith("login failed")}
    assert not errors and not failed_logins, (
        f"promise broken: with Redis down, {errors} of {requests} requests failed ({run.result.examples}); "
        f"logins: {failed_logins or 'ok'}: rate limiting did not fail open or auth depends on Redis")
    limit, during_p95 = examday_config.thresholds.p95_ms, median_p95(run.during())
    assert during_p95 < limit, (f"promise broken: with Redis down every request waited for it: median p95 "
                                f"{during_p95:.0f} ms (limit {limit:g} ms): the Redis client has no circuit breaker")


@item("REH-WRK-01", "Backend worker failure: the other workers keep serving, the master replaces it",
      runbook=f"{RUNBOOK} / Backend worker failure",
      remediation="Run several web-server workers under a master that replaces them (uvicorn --workers N, "
                  "gunicorn): with one, a worker crash is an outage.",
      references=("docs/platform.md#processes-and-the-connection-pool",))
def test_worker_killed_under_load(drills, postgres, examday_config, evidence):
    backend = examday_config.docker.containers.backend
    workers = drills.engine.worker_pids(backend)
    evidence.record(workers_before=len(workers))
    assert len(workers) >= 2, (f"promise broken: {backend} has {len(workers)} worker process(es) under a "
                               "supervising master, so no other worker can keep serving when one dies")
    run = drills.run(lambda: worker_killed(drills.engine, backend), "one backend worker killed (SIGKILL)",
                     hold_s=drills.rehearsal.steady_seconds)
    record_drill(run, postgres, examday_config, evidence)
    requests, errors = totals(run.during(GRACE_S))
    limit = examday_config.thresholds.error_rate
    rate = errors / requests if requests else 1.0
    assert rate <= limit, (f"promise broken: after one worker was killed {errors} of {requests} requests failed "
                           f"({rate:.1%}, limit {limit:.0%}): the other workers did not keep serving")
    assert run.seen.get("replaced_after_s") is not None, "promise broken: the master did not replace the worker"


@item("REH-RST-01", "Backend restart: clients retry, sessions resume, no answer lost",
      runbook=f"{RUNBOOK} / Recovery Verification",
      remediation="Students must be able to resume after a restart: sessions and tokens must live in the "
                  "database, not in a worker's memory; check the answers shown missing.",
      references=("docs/platform.md#sessions", "docs/platform.md#data-model-and-integrity"))
def test_backend_restart_under_load(drills, api, postgres, examday_config, evidence):
    backend = examday_config.docker.containers.backend
    run = drills.run(lambda: container_restarted(drills.engine, backend), f"{backend} restarted",
                     hold_s=drills.rehearsal.steady_seconds, settle_s=RESTART_BUDGET_S)
    record_drill(run, postgres, examday_config, evidence)
    served_again(run, api, evidence, "the restart")


@item("REH-DBL-01", "Database latency: p95 degrades while the database is slow and recovers after",
      runbook=f"{RUNBOOK} / High Latency",
      remediation="If p95 does not recover after the database does, connections or workers stay stuck: look "
                  "at the pool and at requests without a timeout.",
      references=("docs/platform.md#processes-and-the-connection-pool", "docs/platform.md#latency-targets"))
def test_database_latency_degrades_and_recovers(drills, postgres, examday_config, evidence):
    database, settings = examday_config.docker.containers.postgres, drills.rehearsal
    fault = partial(container_frozen_in_bursts, drills.engine, database, settings.db_freeze_ms,
                    settings.db_freeze_period_ms)
    run = drills.run(fault, f"{database} frozen {settings.db_freeze_ms} ms of every {settings.db_freeze_period_ms} ms",
                     hold_s=settings.db_latency_seconds)
    before, during, after = (median_p95(run.before()[int(JOIN_WITHIN_S):]), median_p95(run.during()),
                             median_p95(run.after(GRACE_S)))
    evidence.record(median_p95_ms={"before": before, "during": during, "after": after})
    record_drill(run, postgres, examday_config, evidence)
    # Healthy p95 is the lower of before and after: late logins (password hashing is slow on purpose)
    # can lift the short window before the fault on a small machine.
    healthy = min(before, after)
    assert during > 2 * healthy, (f"p95 did not degrade while the database was slow ({before:.0f} ms before, "
                                  f"{during:.0f} ms during, {after:.0f} ms after): the fault did not take effect")
    limit = examday_config.thresholds.p95_ms
    assert after < limit and after < during, (f"promise broken: p95 did not recover after the database did "
                                              f"({after:.0f} ms after, {during:.0f} ms during, limit {limit:g} ms)")


@item("REH-EMG-02", "Database unresponsive: the diagnostics show it, the restart brings it back, no answer lost",
      runbook="Emergency Procedures / Database Issues",
      remediation="After the database restart the backend must serve again on its own: a pool that keeps "
                  "connections from before the outage (no pre-ping, or sessions never returned) leaves every "
                  "request waiting for pool_timeout. The evidence shows what students saw meanwhile.",
      references=("docs/platform.md#processes-and-the-connection-pool",))
def test_database_unresponsive_then_restarted(drills, diagnose, api, postgres, examday_config, evidence):
    database = examday_config.docker.containers.postgres
    fault = partial(observed_during, container_frozen_then_restarted(drills.engine, database),
                    lambda: diagnose("Database unresponsive"))
    run = drills.run(fault, f"{database} frozen, then restarted (the runbook's remedy)",
                     hold_s=drills.rehearsal.db_outage_seconds, settle_s=RESTART_BUDGET_S)
    diagnosis = run.seen["observed"]
    requests, errors = totals(run.during())
    evidence.record(diagnosis_while_down=diagnosis.as_record(), restart_healthy_after_s=run.seen.get("healthy_after_s"),
                    students_saw_while_down={"requests": requests, "errors": errors, "examples": run.result.examples})
    record_drill(run, postgres, examday_config, evidence)
    named = [match.issue.name for match in diagnosis.issues]
    assert diagnosis.headline == "Database unresponsive", (
        f"the diagnostics did not show the database unresponsive while it was frozen: they point to {named}")
    after, after_errors = totals(run.after(GRACE_S))
    assert after, "no load was left after the database restart to judge"
    assert not after_errors, (f"promise broken: after the database restart {after_errors} of {after} requests still "
                              f"failed ({run.result.examples}): the backend did not recover on its own")
    ready = api.ready()
    evidence.record(ready_after=ready)
    assert ready.is_ok, f"promise broken: after the database restart {ready.describe()}"


@item("REH-EMG-01", "Full system restart: in the runbook's order, healthy, serving again, no answer lost",
      runbook="Emergency Procedures / Full System Restart",
      remediation="Start the infrastructure (database, Redis, proxy) first and wait for its health checks, then "
                  "the application; if it does not serve again, read the step that failed in the evidence and "
                  "`docker logs` of that container. Answers lost mean data outside a volume.",
      references=("docs/platform.md#containers-and-deployment", "docs/platform.md#sessions"))
def test_full_system_restart(drills, api, postgres, examday_config, evidence):
    containers = examday_config.docker.containers
    infrastructure = [n for n in (containers.name_of("postgres"), containers.name_of("redis"),
                                  containers.name_of("proxy")) if n]
    application = [n for n in (containers.name_of("backend"), containers.name_of("frontend")) if n]
    fault = partial(full_system_restart, drills.engine, infrastructure, application)
    run = drills.run(fault, "full system restart: everything stopped, infrastructure then application started",
                     hold_s=GRACE_S, settle_s=2 * RESTART_BUDGET_S)
    evidence.record(steps=run.seen["steps"], back_after_s=run.seen.get("back_after_s"),
                    proxy="restarted" if containers.name_of("proxy") else "not a container of the target: not restarted")
    record_drill(run, postgres, examday_config, evidence)
    served_again(run, api, evidence, "the full restart")


@item("REH-EMG-03", "Rollback: the previous release deployed and verified under load, then rolled forward",
      runbook="Emergency Procedures / Rollback Plan",
      remediation="Keep the previous release's images on the host (PRE-CAP-03) and make sure the previous release "
                  "runs on today's database; students answering during the switch must keep their answers.",
      references=("docs/platform.md#containers-and-deployment",))
def test_rollback_then_roll_forward(drills, api, docker_engine, postgres, examday_config, evidence):
    candidates = rollback_candidates(docker_engine, examday_config)
    evidence.record(rollback=as_evidence(candidates))
    missing = without_previous(candidates)
    assert candidates and not missing, f"promise broken: no previous image to roll back to for: {', '.join(missing)}"
    previous = {c.container: c.previous[0] for c in candidates}  # the newest other image of its repository
    fault = partial(observed_during, rolled_back(drills.engine, previous),
                    lambda: {"health": api.health().status, "ready": api.ready()})
    run = drills.run(fault, "rolled back to the previous release, then forward",
                     hold_s=drills.rehearsal.steady_seconds, settle_s=2 * RESTART_BUDGET_S)
    on_previous = run.seen["observed"]
    evidence.record(steps=run.seen["steps"], verified_on_previous=on_previous)
    record_drill(run, postgres, examday_config, evidence)
    assert on_previous["health"] == 200 and on_previous["ready"].is_ok, (
        f"promise broken: on the previous release /health answered {on_previous['health']} and "
        f"{on_previous['ready'].describe()}")
    running = {c.container: docker_engine.container(c.container).image for c in candidates}
    assert running == {c.container: c.running_image for c in candidates}, (
        f"after rolling forward the containers run {running}, not the release from before the drill")
    served_again(run, api, evidence, "the rollback and roll forward")
