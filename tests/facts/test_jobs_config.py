"""[jobs], the rate-limit keys of [platform] and the burst keys of [exam], as examday.toml gives them."""

from __future__ import annotations

from pathlib import Path

import pytest

from examday.config import load_config
from tests.test_config import MINIMAL, load_error, write

EXAM = """
[exam]
id = "mock"
starts_at = 2026-06-01T09:00:00+02:00
ends_at = 2026-06-01T12:00:00+02:00
"""

# What the sandbox's examday.toml adds (its crontab lives in a host-like container).
SANDBOX_JOBS = """
[docker.containers]
ops = "examday_sandbox_ops"

[[jobs.crontabs]]
where = "ops"
paths = ["/etc/cron.d/*"]
"""


def test_the_defaults_are_the_platforms(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.jobs.command_patterns[0] == r"\bapp\.jobs\.run\b"
    assert [(c.where, c.paths) for c in config.jobs.crontabs] == [
        ("host", ["/etc/crontab", "/etc/cron.d/*", "/var/spool/cron/crontabs/*"])]
    assert config.jobs.containers is None and config.jobs.host_processes is False
    # the env switch and the worker container were names only the sandbox had
    assert config.platform.job_runner_roles == [] and config.platform.scheduled_jobs_env is None
    assert "SCHEDULED_JOBS_ENABLED" not in config.platform.env_allowlist
    assert "FORWARDED_ALLOW_IPS" in config.platform.env_allowlist


def test_the_sandbox_snippet_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + SANDBOX_JOBS))
    assert config.docker.containers.name_of("ops") == "examday_sandbox_ops"
    (location,) = config.jobs.crontabs  # the host's defaults are replaced, not added to
    assert (location.where, location.paths, location.format) == ("ops", ["/etc/cron.d/*"], "auto")


def test_the_burst_keys(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + EXAM + "expected_students = 400\nstudents_per_address = 40\n"))
    assert config.exam is not None
    assert (config.exam.expected_students, config.exam.login_window_minutes, config.exam.students_per_address) == (
        400, 10, 40)


@pytest.mark.parametrize("toml, key", [
    ('[jobs]\ncommand_patterns = ["app.jobs.run(", "celery"]\n', "jobs.command_patterns[0]"),
    ("[jobs]\ncommand_patterns = []\n", "jobs.command_patterns"),
    ('[[jobs.crontabs]]\nwhere = "scheduler"\npaths = ["/etc/cron.d/*"]\n', "jobs.crontabs[0].where"),
    ('[[jobs.crontabs]]\nwhere = "host"\npaths = ["etc/crontab"]\n', "jobs.crontabs[0].paths[0]"),
    ('[[jobs.crontabs]]\nwhere = "host"\npaths = ["/etc/*/crontab"]\n', "jobs.crontabs[0].paths[0]"),
    ('[[jobs.crontabs]]\nwhere = "host"\npaths = []\n', "jobs.crontabs[0].paths"),
    ('[jobs]\ncontainers = ["backend", "exam_platform_backend"]\n', "jobs.containers[1]"),
    ('[jobs]\ncrontab = "/etc/crontab"\n', "jobs.crontab"),
    ('[platform]\njob_runner_roles = ["exam_platform_worker"]\n', "platform.job_runner_roles[0]"),
    ('[platform]\nproxy_addresses = ["the docker gateway"]\n', "platform.proxy_addresses[0]"),
    ('[[platform.rate_limit_policies]]\nroute = "login"\nper = "session"\nlimit = 5\n',
     "platform.rate_limit_policies[0].per"),
    ('[[platform.rate_limit_policies]]\nroute = "login"\nper = "ip"\nlimit = 0\n',
     "platform.rate_limit_policies[0].limit"),
    (EXAM + "expected_students = 0\n", "exam.expected_students"),
    (EXAM + "login_window_minutes = 0\n", "exam.login_window_minutes"),
    (EXAM + "students_per_address = 0\n", "exam.students_per_address"),
])
def test_a_wrong_value_is_one_message_naming_its_key(tmp_path: Path, toml: str, key: str) -> None:
    assert load_error(tmp_path, MINIMAL + toml).key == key


def test_a_bad_pattern_says_how_to_write_one(tmp_path: Path) -> None:
    error = load_error(tmp_path, MINIMAL + '[jobs]\ncommand_patterns = ["app.jobs.run("]\n')
    assert "regular expression" in str(error) and "single quotes" in str(error)
