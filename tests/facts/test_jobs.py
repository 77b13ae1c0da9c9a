"""Background jobs, judged from readings: the crontab parser, the job-process matcher, the surveys."""

from __future__ import annotations

import re

import pytest

from examday.config.sections import DEFAULT_JOB_COMMAND_PATTERNS
from examday.facts.cron_lines import CrontabSource, crontab_format, parse_crontab, survey_crontabs
from examday.facts.jobs import ProcessListing, scheduled_job_keys, survey_processes
from examday.facts.processes import is_cron_daemon, is_job_process, job_processes, supercronic_crontabs
from examday.probes.crontab import CrontabFile, CrontabRead
from examday.probes.host import ProcessInfo

PATTERNS = tuple(re.compile(pattern) for pattern in DEFAULT_JOB_COMMAND_PATTERNS)
SPAWN = "/opt/venv/bin/python -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7) --multiprocessing-fork"


def proc(pid: int, cmdline: str, ppid: int = 1) -> ProcessInfo:
    return ProcessInfo(pid=pid, ppid=ppid, user="root", cmdline=cmdline)


# -- the crontab parser ------------------------------------------------------------------------

SYSTEM_CRONTAB = """\
# /etc/cron.d/exam-platform: the platform's jobs
SHELL=/bin/sh
MAILTO = ops@example.test
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

0 2 * * * root docker exec exam_platform_backend python -m app.jobs.run revision_queue_regen
30 2 * * 1-5 root docker exec exam_platform_backend python -m app.jobs.run warehouse_incremental_export >> /var/log/jobs.log 2>&1
#0 3 * * * root docker exec exam_platform_backend python -m app.jobs.run fsrs_train_user
   # 0 4 * * * root python -m app.jobs.run fsrs_train_user
@reboot root /usr/local/bin/warm-cache
@daily   root   python -m app.jobs.run fsrs_train_user % some stdin
*/15 * * * * root
not a cron line at all
@fortnightly root python -m app.jobs.run revision_queue_regen
"""


def test_system_crontab_lines_are_entries_comments_or_malformed() -> None:
    lines = parse_crontab(SYSTEM_CRONTAB, "system")
    entries = [line for line in lines if line.kind == "entry"]
    assert [(line.line_no, line.schedule, line.user) for line in entries] == [
        (6, "0 2 * * *", "root"), (7, "30 2 * * 1-5", "root"), (10, "@reboot", "root"), (11, "@daily", "root")]
    assert entries[0].command == "docker exec exam_platform_backend python -m app.jobs.run revision_queue_regen"
    # cron feeds what follows an unescaped % to the command's stdin: it is not the command
    assert entries[3].command == "python -m app.jobs.run fsrs_train_user"
    assert [line.line_no for line in lines if line.kind == "comment"] == [1, 8, 9]
    malformed = {line.line_no: line.reason for line in lines if line.kind == "malformed"}
    assert malformed == {12: "no command or no user", 13: "not five time fields", 14: "unknown schedule @fortnightly"}


def test_user_crontabs_have_no_user_field() -> None:
    (entry,) = parse_crontab("0 2 * * * python -m app.jobs.run revision_queue_regen\n", "user")
    assert (entry.schedule, entry.user, entry.command) == (
        "0 2 * * *", None, "python -m app.jobs.run revision_queue_regen")
    (special,) = parse_crontab("@hourly /usr/local/bin/python3 -m app.jobs.run fsrs_train_user", "user")
    assert (special.schedule, special.command) == ("@hourly", "/usr/local/bin/python3 -m app.jobs.run fsrs_train_user")


def test_the_format_follows_the_path() -> None:
    assert crontab_format("/etc/crontab") == "system"
    assert crontab_format("/etc/cron.d/exam-platform") == "system"
    assert crontab_format("/var/spool/cron/crontabs/root") == "user"
    assert crontab_format("/var/spool/cron/root") == "user"  # RHEL keeps them one level up
    assert crontab_format("/etc/crontabs/root") == "user"  # busybox / alpine


# -- the job-process matcher -------------------------------------------------------------------

@pytest.mark.parametrize("cmdline", [
    "python -m app.jobs.run revision_queue_regen",
    "/usr/local/bin/python3 -m app.jobs.run fsrs_train_user",
    "/opt/venv/bin/python -u -m app.jobs.run warehouse_incremental_export",
    "docker exec exam_platform_backend python -m app.jobs.run revision_queue_regen",
    "/bin/sh -c python -m app.jobs.run revision_queue_regen",  # cron's shell around it
    "/usr/local/bin/python /usr/local/bin/celery -A app.worker worker --loglevel=info",
    "celery -A app beat",
    "rq worker high default",
    "/usr/local/bin/python /usr/local/bin/rq worker",
    "rqworker default",
])
def test_jobs_are_recognised(cmdline: str) -> None:
    assert is_job_process(proc(5, cmdline), PATTERNS)


@pytest.mark.parametrize("cmdline", [
    SPAWN,  # a uvicorn worker: a job would name its module
    "/opt/venv/bin/python -c from multiprocessing.resource_tracker import main;main(4)",
    "/opt/venv/bin/python /opt/venv/bin/uvicorn app.main:app --host 0.0.0.0 --port 8000 --workers 5",
    "cron -f",
    "/usr/sbin/cron -f",
    "crond -f -l 8",
    "sleep 300",
    "python -m app.jobs_report",  # a different module
    "python -m app.main",
    "postgres: exam_user exam_platform 172.18.0.5(40012) idle",
    "/usr/bin/celeryd-helper-that-is-not-celery",
])
def test_web_servers_daemons_and_others_are_not_jobs(cmdline: str) -> None:
    assert not is_job_process(proc(5, cmdline), PATTERNS)


def test_a_configured_pattern_is_what_counts() -> None:
    mine = (re.compile(r"\bmanage\.py\s+run_jobs\b"),)
    assert is_job_process(proc(5, "python manage.py run_jobs --all"), mine)
    assert not is_job_process(proc(5, "python -m app.jobs.run revision_queue_regen"), mine)


def test_job_processes_picks_only_the_jobs() -> None:
    processes = [proc(1, "/opt/venv/bin/python /opt/venv/bin/uvicorn app.main:app --workers 2", 0),
                 proc(7, SPAWN), proc(8, SPAWN), proc(9, "cron -f"),
                 proc(40, "python -m app.jobs.run revision_queue_regen", 0)]
    assert [p.pid for p in job_processes(processes, PATTERNS)] == [40]


@pytest.mark.parametrize("cmdline, daemon", [
    ("cron -f", True), ("/usr/sbin/cron -f -L 15", True), ("crond -f -l 8", True), ("busybox crond -f", True),
    ("supercronic /etc/crontab", True), ("sleep 1000", False), ("python -m app.jobs.run x", False),
    ("vim /etc/cron.d/exam-platform", False),
])
def test_cron_daemons_are_told_apart(cmdline: str, daemon: bool) -> None:
    assert is_cron_daemon(proc(3, cmdline)) is daemon


def test_supercronic_names_its_crontabs() -> None:
    assert supercronic_crontabs(proc(3, "supercronic -json /app/crontab")) == ["/app/crontab"]
    assert supercronic_crontabs(proc(3, "cron -f")) == []


# -- crontabs surveyed -------------------------------------------------------------------------

def read(where: str, pattern: str, *files: tuple[str, str], missing: bool = False,
         errors: tuple[str, ...] = ()) -> CrontabRead:
    return CrontabRead(where, pattern, tuple(CrontabFile(path, text) for path, text in files), missing, errors)


def test_an_active_job_entry_is_named_with_its_file_and_line() -> None:
    survey = survey_crontabs([
        CrontabSource(read("examday_sandbox_ops", "/etc/cron.d/*", ("/etc/cron.d/exam-platform", SYSTEM_CRONTAB),
                           ("/etc/cron.d/e2scrub_all", "30 3 * * 0 root test -e /run/systemd/system || "
                                                       "SERVICE_MODE=1 /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron\n"))),
        CrontabSource(read("host (vm)", "/etc/crontab", missing=True)),
    ], PATTERNS)
    assert [entry.describe() for entry in survey.job_entries] == [
        "examday_sandbox_ops:/etc/cron.d/exam-platform:6: 0 2 * * * root docker exec exam_platform_backend "
        "python -m app.jobs.run revision_queue_regen",
        "examday_sandbox_ops:/etc/cron.d/exam-platform:7: 30 2 * * 1-5 root docker exec exam_platform_backend "
        "python -m app.jobs.run warehouse_incremental_export >> /var/log/jobs.log 2>&1",
        "examday_sandbox_ops:/etc/cron.d/exam-platform:11: @daily root python -m app.jobs.run fsrs_train_user",
    ]
    assert [entry.command for entry in survey.other_entries][0] == "/usr/local/bin/warm-cache"
    assert len(survey.other_entries) == 2  # e2scrub is no job
    assert len(survey.disabled_job_lines) == 2
    assert survey.missing == ("host (vm):/etc/crontab",) and survey.readable
    problem = survey.entries_problem()
    assert problem is not None and "exam-platform:6" in problem
    assert scheduled_job_keys(survey.job_entries) == [
        "fsrs_train_user", "revision_queue_regen", "warehouse_incremental_export"]


def test_commented_out_entries_leave_nothing_to_fire() -> None:
    disabled = "\n".join("#" + line if line[:1].isdigit() or line.startswith("@") else line
                         for line in SYSTEM_CRONTAB.splitlines())
    survey = survey_crontabs([CrontabSource(read("ops", "/etc/cron.d/*", ("/etc/cron.d/exam-platform", disabled)))],
                             PATTERNS)
    assert survey.job_entries == () and survey.entries_problem() is None
    assert len(survey.disabled_job_lines) == 6


def test_an_unreadable_location_is_a_problem_naming_it() -> None:
    survey = survey_crontabs([CrontabSource(read("host (vm)", "/var/spool/cron/crontabs/*",
                                                 errors=("/var/spool/cron/crontabs: permission denied",)))], PATTERNS)
    assert not survey.readable
    assert "host (vm):/var/spool/cron/crontabs: permission denied" in (survey.unreadable_problem() or "")


def test_files_cron_skips_do_not_count_and_dotted_names_are_flagged() -> None:
    line = "0 2 * * * root python -m app.jobs.run revision_queue_regen\n"
    survey = survey_crontabs([CrontabSource(read(
        "ops", "/etc/cron.d/*", ("/etc/cron.d/exam-platform.dpkg-old", line), ("/etc/cron.d/.exam-platform", line),
        ("/etc/cron.d/exam-platform~", line), ("/etc/cron.d/exam-platform.disabled", line)))], PATTERNS)
    # Debian's cron skips "exam-platform.disabled", cronie runs it: it counts, with a note saying so.
    assert [entry.path for entry in survey.job_entries] == ["/etc/cron.d/exam-platform.disabled"]
    assert sum("skipped" in note for note in survey.notes) == 3
    assert any("Debian's cron skips names with a dot" in note for note in survey.notes)


def test_user_crontabs_are_parsed_without_a_user_field() -> None:
    survey = survey_crontabs([CrontabSource(read(
        "host (vm)", "/var/spool/cron/crontabs/*",
        ("/var/spool/cron/crontabs/deploy", "0 2 * * * cd /srv && python -m app.jobs.run revision_queue_regen\n")))],
        PATTERNS)
    (entry,) = survey.job_entries
    assert entry.user is None and entry.command.startswith("cd /srv &&")


# -- processes surveyed ------------------------------------------------------------------------

def test_jobs_daemons_and_unlisted_places_are_reported_apart() -> None:
    backend = ProcessListing("exam_platform_backend", (
        proc(100, "/opt/venv/bin/python /opt/venv/bin/uvicorn app.main:app --workers 2", 0), proc(101, SPAWN, 100),
        proc(120, "python -m app.jobs.run revision_queue_regen", 0)))
    ops = ProcessListing("examday_sandbox_ops", (proc(200, "cron -f", 0),))
    host = ProcessListing("host (vm)", (proc(120, "python -m app.jobs.run revision_queue_regen"),
                                        proc(300, "/usr/local/bin/python3 -m app.jobs.run fsrs_train_user")),
                          is_host=True)
    survey = survey_processes([backend, ops, host, ProcessListing("exam_platform_worker", note="exited"),
                               ProcessListing("exam_platform_redis", error="docker engine error (top): boom")],
                              PATTERNS)
    # pid 120 is the backend's (docker top shows host pids): not counted twice
    assert [job.describe() for job in survey.jobs] == [
        "exam_platform_backend pid 120: python -m app.jobs.run revision_queue_regen",
        "host (vm) pid 300: /usr/local/bin/python3 -m app.jobs.run fsrs_train_user"]
    assert [daemon.where for daemon in survey.cron_daemons] == ["examday_sandbox_ops"]
    assert survey.not_searched == ("exam_platform_worker (exited)",)
    assert "exam_platform_redis" in (survey.errors_problem() or "")
    assert "revision_queue_regen" in (survey.jobs_problem() or "")


def test_a_cron_daemon_alone_is_no_job() -> None:
    survey = survey_processes([ProcessListing("examday_sandbox_ops", (proc(1, "cron -f", 0),))], PATTERNS)
    assert survey.jobs_problem() is None and len(survey.cron_daemons) == 1


def test_a_file_two_paths_reach_is_counted_once() -> None:
    line = ("/etc/cron.d/exam-platform", "0 2 * * * root python -m app.jobs.run revision_queue_regen\n")
    survey = survey_crontabs([CrontabSource(read("ops", "/etc/cron.d", line)),
                              CrontabSource(read("ops", "/etc/cron.d/*", line))], PATTERNS)
    assert len(survey.job_entries) == 1 and survey.files_read == ("ops:/etc/cron.d/exam-platform",)


def test_the_freeze_problems_name_a_runner_still_running_and_nothing_when_all_is_quiet():
    from examday.facts.jobs import JobsPicture

    patterns = [re.compile(p) for p in DEFAULT_JOB_COMMAND_PATTERNS]
    quiet_crontabs, no_processes = survey_crontabs([], patterns), survey_processes([], patterns)
    running = JobsPicture(quiet_crontabs, no_processes, {"worker": "running", "beat": "exited"})
    assert running.runners_problem() == "job-runner containers still running: worker (running)"
    assert "job-runner containers still running: worker (running)" in running.freeze_problems()
    assert JobsPicture(quiet_crontabs, no_processes, {"beat": "exited"}).runners_problem() is None
