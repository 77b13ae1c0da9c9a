"""Crontabs read where cron reads them, and job processes found, on this machine and in a real container.

The container test starts a throwaway container from an image already on this machine (the
sandbox's backend image: it has python, sh and ps), writes a crontab into /etc/cron.d, runs a
fake job whose command line is `python -m app.jobs.run revision_queue_regen` beside a fake
`cron`, and shows examday sees both, then nothing once they are gone.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examday.config.model import ExamdayConfig
from examday.config.sections import DEFAULT_JOB_COMMAND_PATTERNS
from examday.facts.cron_lines import CrontabSource, survey_crontabs
from examday.facts.jobs import observe_jobs
from examday.probes.crontab import parse_container_output, read_container_crontabs, read_host_crontabs
from examday.probes.docker import DockerProbe
from tests.fixtures.services import TEST_LABEL, wait_until

PATTERNS = tuple(re.compile(pattern) for pattern in DEFAULT_JOB_COMMAND_PATTERNS)
IMAGES = ("examday-sandbox/backend:local", "examday-sandbox/backend:previous")
CRONTAB = ("# the platform's jobs (docs/platform.md: the docs suggest 0 2 * * *)\n"
           "MAILTO=\"\"\n"
           "0 2 * * * root cd /srv/fakejob && python -m app.jobs.run revision_queue_regen\n"
           "#15 2 * * * root cd /srv/fakejob && python -m app.jobs.run fsrs_train_user\n"
           "@daily root /usr/local/bin/rotate-things\n")
# A job as the platform's: a module named app.jobs.run, run with `python -m` (it only waits).
FAKE_JOB = ("mkdir -p /srv/fakejob/app/jobs && touch /srv/fakejob/app/__init__.py /srv/fakejob/app/jobs/__init__.py"
            " && printf 'import time\\ntime.sleep(600)\\n' > /srv/fakejob/app/jobs/run.py")


# -- this machine ------------------------------------------------------------------------------

def test_host_files_folders_patterns_and_what_is_not_there(tmp_path: Path) -> None:
    crond = tmp_path / "cron.d"
    crond.mkdir()
    (crond / "exam-platform").write_text(CRONTAB)
    (crond / "e2scrub_all").write_text("30 3 * * 0 root e2scrub_all_cron\n")
    (crond / ".placeholder").write_text("")
    (crond / "sub").mkdir()
    crontab = tmp_path / "crontab"
    crontab.write_text("17 * * * * root cd / && run-parts --report /etc/cron.hourly")
    reads = read_host_crontabs([str(crontab), f"{crond}/*", str(crond), f"{tmp_path}/none/*", f"{tmp_path}/absent"])
    assert [r.pattern for r in reads] == [str(crontab), f"{crond}/*", str(crond), f"{tmp_path}/none/*",
                                          f"{tmp_path}/absent"]
    assert [f.path for f in reads[0].files] == [str(crontab)]
    assert [os.path.basename(f.path) for f in reads[1].files] == ["e2scrub_all", "exam-platform"]
    assert reads[1].skipped == (str(crond / "sub"),)
    assert [f.path for f in reads[2].files] == [f.path for f in reads[1].files]  # a folder means its files
    assert reads[3].missing and reads[4].missing and not reads[3].errors
    survey = survey_crontabs([CrontabSource(r) for r in reads], PATTERNS)
    # the folder and the pattern reach the same file: its entry counts once
    assert [(e.path, e.line_no) for e in survey.job_entries] == [(str(crond / "exam-platform"), 3)]
    assert survey.readable


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: permission cannot be denied here")
def test_an_unreadable_host_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    locked = tmp_path / "crontabs"
    locked.mkdir(mode=0o000)
    try:
        (read,) = read_host_crontabs([f"{locked}/*"])
    finally:
        locked.chmod(0o700)
    assert read.errors == (f"{locked}: permission denied",) and not read.missing


def test_container_output_is_split_back_into_files() -> None:
    marker = "@@m"
    output = "\n".join([
        "@@m loc 0", "@@m file /etc/cron.d/a", "0 2 * * * root x", "# c", "", "@@m end",
        "@@m file /etc/cron.d/b", "no newline at the end", "@@m end",
        "@@m file /etc/cron.d/c", "half", "@@m error /etc/cron.d/c: could not be read",
        "@@m skip /etc/cron.d/sub",
        "@@m loc 1", "@@m missing",
        "@@m loc 2", "@@m error /var/spool/cron/crontabs: permission denied",
        "@@m done", ""])
    first, second, third = parse_container_output("c1", ["/etc/cron.d/*", "/etc/crontab", "/var/spool/cron/crontabs/*"],
                                                  output, marker)
    assert [(f.path, f.text) for f in first.files] == [("/etc/cron.d/a", "0 2 * * * root x\n# c\n"),
                                                      ("/etc/cron.d/b", "no newline at the end")]
    assert first.errors == ("/etc/cron.d/c: could not be read",) and first.skipped == ("/etc/cron.d/sub",)
    assert second.missing and not second.files
    assert third.errors == ("/var/spool/cron/crontabs: permission denied",)


# -- a real container --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def job_container(docker_client: Any) -> Iterator[Any]:
    image = next((ref for ref in IMAGES if _has_image(docker_client, ref)), None)
    if image is None:
        pytest.skip(f"none of {', '.join(IMAGES)} is on this machine (build the sandbox's images)")
    # Runs as nobody, so a root-only folder is one examday cannot read; setup execs run as root.
    container = docker_client.containers.run(
        image, ["600"], entrypoint=["sleep"], name=f"examday_test_jobs_{uuid.uuid4().hex[:8]}", detach=True,
        network_mode="none", user="nobody", labels={TEST_LABEL: "probes"})
    try:
        _root(container, FAKE_JOB)
        _root(container, "mkdir -p /etc/cron.d /var/spool/cron/crontabs && chmod 700 /var/spool/cron/crontabs")
        yield container
    finally:
        container.remove(force=True)


def _has_image(client: Any, ref: str) -> bool:
    try:
        client.images.get(ref)
    except Exception:
        return False
    return True


def _root(container: Any, script: str, detach: bool = False) -> None:
    result = container.exec_run(["sh", "-c", script], user="root", detach=detach)
    if not detach:
        assert result.exit_code == 0, result.output.decode(errors="replace")


def _config(container: Any) -> ExamdayConfig:
    return ExamdayConfig.model_validate({
        "target": {"name": "t", "kind": "staging"}, "api": {"base_url": "https://api.example.test"},
        "docker": {"containers": {"ops": container.name, "absent": ["postgres", "redis", "backend", "frontend"]}},
        "jobs": {"crontabs": [{"where": "ops", "paths": ["/etc/cron.d/*", "/etc/crontab"]}]},
    })


def test_a_crontab_and_a_job_in_a_container_are_seen_then_gone(job_container: Any) -> None:
    probe = DockerProbe(timeout=10)
    try:
        _root(job_container, f"cat > /etc/cron.d/exam-platform <<'EOF'\n{CRONTAB}EOF")
        # the job beside a cron daemon (a fake one: the image has none), both as nobody, as the container runs
        job_container.exec_run(["sh", "-c", "cd /srv/fakejob && exec python -m app.jobs.run revision_queue_regen"],
                               detach=True)
        job_container.exec_run(["bash", "-c", "exec -a cron sleep 600"], detach=True)
        wait_until(lambda: any("app.jobs.run" in p.cmdline for p in probe.processes(job_container.name))
                   and any(p.cmdline.startswith("cron") for p in probe.processes(job_container.name)), 15,
                   "the fake job and cron")

        reads = read_container_crontabs(probe, job_container.name,
                                        ["/etc/cron.d/*", "/etc/crontab", "/var/spool/cron/crontabs/*"])
        ours = {f.path: f.text for f in reads[0].files}
        assert "/etc/cron.d/exam-platform" in ours  # beside the image's own (e2scrub_all)
        assert ours["/etc/cron.d/exam-platform"].splitlines()[2].endswith("python -m app.jobs.run revision_queue_regen")
        assert reads[1].missing  # no /etc/crontab in this image: fine
        assert reads[2].errors == ("/var/spool/cron/crontabs: permission denied",)  # root-only, read as nobody

        picture = observe_jobs(probe, _config(job_container))
        (entry,) = picture.crontabs.job_entries
        assert entry.describe() == (f"{job_container.name}:/etc/cron.d/exam-platform:3: 0 2 * * * root "
                                    "cd /srv/fakejob && python -m app.jobs.run revision_queue_regen")
        assert len(picture.crontabs.disabled_job_lines) == 1
        assert "/usr/local/bin/rotate-things" in [e.command for e in picture.crontabs.other_entries]
        (job,) = picture.processes.jobs
        assert job.cmdline == "python -m app.jobs.run revision_queue_regen"
        assert [d.cmdline for d in picture.processes.cron_daemons] == ["cron 600"]  # seen, not a job
        # the cron daemon made examday read the container's other crontab places too: one is root-only
        assert any("/var/spool/cron/crontabs: permission denied" in u for u in picture.crontabs.unreadable)

        in_container_pid = next(p.pid for p in probe.processes_from_proc(job_container.name)
                                if "app.jobs.run" in p.cmdline)
        _root(job_container, f"kill {in_container_pid}; rm /etc/cron.d/exam-platform; "
                             "chmod 755 /var/spool/cron/crontabs")
        wait_until(lambda: not any("app.jobs.run" in p.cmdline for p in probe.processes(job_container.name)), 15,
                   "the fake job to end")
        after = observe_jobs(probe, _config(job_container))
        assert after.crontabs.job_entries == () and after.processes.jobs == ()
        assert after.crontabs.readable and after.crontabs.entries_problem() is None
        assert len(after.processes.cron_daemons) == 1  # cron still runs, and that is fine
    finally:
        probe.close()


def test_a_container_that_cannot_be_read_is_an_error_naming_it(docker_client: Any) -> None:
    probe = DockerProbe(timeout=5)
    try:
        name = f"examday_test_jobs_absent_{uuid.uuid4().hex[:8]}"
        (read,) = read_container_crontabs(probe, name, ["/etc/cron.d/*"])
        assert read.errors and name in read.errors[0] and not read.files
    finally:
        probe.close()
