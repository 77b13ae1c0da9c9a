"""Pre-Exam Checklist (24 hours before) / Infrastructure."""

from __future__ import annotations

import datetime as dt

import pytest

from examday.checklist import Impact, item
from examday.facts.backups import backup_container, read_scratch, restore_into
from examday.facts.certificates import required_valid_until, served_certificate
from examday.facts.containers import find_containers
from examday.facts.dns_records import observe_record, record_problem
from examday.facts.health import health_problem
from examday.facts.scratch_database import scratch_refusal, target_identity

pytestmark = pytest.mark.preexam
RUNBOOK = "Pre-Exam Checklist / Infrastructure"


@item("PRE-INF-01", "Verify all services are healthy", runbook=RUNBOOK,
      remediation="Look at the failing container (`docker logs NAME --tail=100`), fix the cause and "
                  "restart it; the whole stack must be running and healthy a day before the exam.",
      references=("docs/platform.md#containers-and-deployment",))
def test_every_service_running_and_healthy(docker_engine, examday_config, evidence):
    containers = find_containers(docker_engine, examday_config)
    evidence.record(services={role: (c.status, c.health) if c else "missing" for role, c in containers.items()})
    # The worker may already be stopped the day before: its own items judge it.
    required = {role: c for role, c in containers.items() if role not in examday_config.platform.job_runner_roles}
    missing = [role for role, c in required.items() if c is None]
    not_running = [f"{c.name} ({c.status})" for c in required.values() if c and not c.is_running]
    unhealthy = [f"{c.name} ({c.health})" for c in required.values()
                 if c and c.is_running and c.health not in (None, "healthy")]
    assert not missing, f"containers not found: {', '.join(missing)}"
    assert not not_running, f"not running: {', '.join(not_running)}"
    assert not unhealthy, f"running but not healthy: {', '.join(unhealthy)}"


@item("PRE-INF-02", "Verify all services are healthy: no container restarting", runbook=RUNBOOK,
      impact=Impact.HIGH,
      remediation="A climbing restart count means a crash loop: read `docker logs NAME`, fix the cause, "
                  "then recreate the container so its count starts from zero.",
      references=("docs/platform.md#containers-and-deployment",))
def test_no_container_restart_count_climbing(docker_engine, examday_config, evidence):
    containers = {role: c for role, c in find_containers(docker_engine, examday_config).items() if c}
    counts = {c.name: c.restart_count for c in containers.values()}
    evidence.record(restart_counts=counts, allowed=examday_config.thresholds.restart_count_max)
    restarting = {name: n for name, n in counts.items() if n > examday_config.thresholds.restart_count_max}
    assert not restarting, f"containers have restarted: {restarting}"


@item("PRE-INF-03", "Check database backups are current", runbook=RUNBOOK,
      remediation="Check the backup job (`docker logs <backup container>`), run a backup by hand now, "
                  "and make sure the schedule runs before the exam.",
      references=("docs/platform.md#backups",))
def test_newest_backup_is_recent_and_not_empty(backups, examday_config, evidence):
    now = dt.datetime.now(dt.timezone.utc)
    newest = backups.newest
    limit = examday_config.thresholds.backup_max_age_hours
    evidence.record(location=backups.where, backups_found=len(backups.files), newest=newest,
                    max_age_hours=limit)
    assert newest is not None, f"no backup at {backups.where}"
    evidence.record(newest_age_hours=round(newest.age_hours(now), 2))
    assert newest.size > 0, f"the newest backup {newest.path} is empty"
    assert newest.age_hours(now) <= limit, (
        f"the newest backup {newest.path} is {newest.age_hours(now):.1f} h old (limit {limit:g} h)")


@item("PRE-INF-04", "Check database backups are current: the newest one is readable", runbook=RUNBOOK,
      remediation="A dump pg_restore cannot read is no backup: re-run the backup and check its log for "
                  "errors (disk full, killed pg_dump).",
      references=("docs/platform.md#backups",))
def test_newest_backup_is_readable_by_pg_restore(backups, evidence):
    assert backups.newest is not None, f"no backup at {backups.where}"
    evidence.record(file=backups.newest.path, toc_entries=backups.newest_entries,
                    error=backups.newest_error or None)
    assert backups.newest_readable, f"pg_restore --list cannot read {backups.newest.path}: {backups.newest_error}"
    assert backups.newest_entries > 0, f"{backups.newest.path} lists no objects"


@item("PRE-INF-08", "Check database backups are current: a restore test succeeds", runbook=RUNBOOK,
      impact=Impact.HIGH,
      remediation="Restore the newest dump by hand into a scratch database and read pg_restore's errors; "
                  "a backup that does not restore is no backup.",
      references=("docs/platform.md#backups",))
def test_newest_backup_restores_into_a_scratch_database(request, docker_engine, postgres, examday_config, evidence):
    scratch = examday_config.backup.restore_test_dsn()
    if scratch is None:
        pytest.skip("no scratch database configured for a restore test "
                    "([backup] restore_test_dsn_env or restore_test_dsn_file)")
    backups = request.getfixturevalue("backups")  # only once the drill is configured
    newest = backups.newest
    assert newest is not None, f"no backup at {backups.where}"
    # The one write examday makes, and only into a scratch database that is provably not the target's.
    where, dsn = backup_container(examday_config), scratch.get_secret_value()
    reading = read_scratch(docker_engine, where, dsn)
    evidence.record(**reading.as_evidence())
    refusal = scratch_refusal(target_identity(postgres), reading)
    assert refusal is None, refusal
    restored, tables, error = restore_into(docker_engine, where, newest.path, dsn)
    evidence.record(file=newest.path, restored=restored, tables_after_restore=tables, error=error or None)
    assert restored, f"restoring {newest.path} failed: {error}"
    assert tables > 0, "the restore left no tables in the scratch database"


@item("PRE-INF-05", "Verify Traefik certificates are valid (not expiring soon)", runbook=RUNBOOK,
      remediation="Renew the certificate (or fix the proxy's ACME configuration) and reload the proxy; "
                  "it must stay valid past the end of the exam.",
      references=("docs/platform.md#the-tls-edge-and-the-proxy",))
def test_certificate_valid_for_the_exam(tls_endpoint, examday_config, evidence):
    endpoint = tls_endpoint
    host, cert = served_certificate(endpoint, examday_config)
    now = dt.datetime.now(dt.timezone.utc)
    deadline, why = required_valid_until(examday_config, now)
    evidence.record(certificate=cert, required_valid_until=deadline.isoformat(timespec="seconds"),
                    because=why, days_left=round(cert.days_left, 1))
    assert cert.verified, f"{endpoint}: certificate does not verify against the CA bundle: {cert.verify_error}"
    assert cert.hostname_matches, f"{endpoint}: certificate is not for {host} (SANs {cert.sans})"
    assert cert.not_after >= deadline, (
        f"{endpoint}: certificate expires {cert.not_after:%Y-%m-%d %H:%M} UTC, {cert.days_left:.1f} days "
        f"from now; it must be valid until {deadline:%Y-%m-%d} ({why})")


@item("PRE-INF-06", "Confirm DNS records are correct", runbook=RUNBOOK,
      remediation="Fix the record at the DNS provider (or the resolver named in the evidence) and wait "
                  "for its TTL before the exam.",
      references=("docs/platform.md#the-tls-edge-and-the-proxy",))
def test_dns_record_resolves_as_expected(dns_record, examday_config, evidence):
    observed = observe_record(dns_record, examday_config)
    evidence.record(observation=observed, expected=sorted(dns_record.expected))
    problem = record_problem(dns_record, observed)
    assert problem is None, problem


@item("PRE-INF-07", "Test staging environment (if available)", runbook=RUNBOOK, impact=Impact.MEDIUM,
      remediation="Bring the staging twin up and healthy and fix the step named: it is where tonight's last "
                  "changes are tried, and a student's flow that fails there fails in the exam.",
      references=("docs/platform.md#containers-and-deployment", "docs/platform.md#sessions"))
def test_staging_runs_a_students_whole_flow(examday_config, staging_trial, evidence):
    staging = examday_config.staging
    if staging is None or staging.api_base_url is None:
        pytest.skip("no staging environment configured ([staging] api_base_url)")
    trial = staging_trial.result()  # started as the run begins
    evidence.record(health=trial.health, ready=trial.ready)
    problem = health_problem(trial.health)
    assert problem is None, f"staging: {problem}"
    assert trial.ready.is_ok, f"staging {trial.ready.describe()}"
    if trial.not_configured:
        pytest.fail(trial.not_configured)
    flow = trial.flow
    evidence.record(flow=flow)
    assert flow.failed_step is None, f"staging: the student flow failed at '{flow.failed_step}': {flow.error}"
