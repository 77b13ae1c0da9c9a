"""`examday rehearse`'s Locust options: a wrong combination is one message and exit 2, before anything
runs (no target is read, no process started)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from examday.cli.locust_worker import engine_args


@pytest.mark.parametrize("args, says", [
    (("--engine", "ray"), "unknown engine 'ray'"),
    (("--processes", "3"), "go with --engine locust"),
    (("--engine", "locust", "--processes", "0"), "--processes must be at least 1"),
    (("--engine", "locust", "--master"), "--master needs --expect-workers"),
    (("--engine", "locust", "--expect-workers", "2"), "--expect-workers goes with --master"),
    (("--engine", "locust", "--master", "--expect-workers", "0"), "--expect-workers must be between"),
    (("--engine", "locust", "--master", "--processes", "3", "--expect-workers", "2"), "--expect-workers must be"),
    (("--engine", "locust", "--master", "--expect-workers", "2", "--master-port", "70000"), "TCP port"),
    (("--worker",), "--worker needs --master-host"),
    (("--worker", "--master-host", "10.0.0.5", "--master-port", "0"), "TCP port"),
])
def test_bad_locust_options_are_one_message_and_exit_2(tmp_path, args, says):
    done = subprocess.run([sys.executable, "-m", "examday.cli.main", "rehearse", *args], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("error:") == 1 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_the_engine_options_reach_the_pytest_child():
    assert engine_args("examday", None, False, None, "0.0.0.0", 5557, 120) == []
    assert engine_args("locust", None, False, None, "0.0.0.0", 5557, 120) == [
        "--examday-engine=locust", "--examday-locust-processes=2", "--examday-locust-wait=120"]
    assert engine_args("locust", None, True, 4, "0.0.0.0", 5600, 90) == [
        "--examday-engine=locust", "--examday-locust-processes=0", "--examday-locust-wait=90",
        "--examday-locust-expect-workers=4", "--examday-locust-bind=0.0.0.0", "--examday-locust-port=5600"]
