"""`examday watch` with bad input: one clear message, exit 2, nothing written (no sandbox needed)."""

from __future__ import annotations

import pytest

from tests.watch.helpers import examday_cli

EXIT_USAGE = 2


@pytest.mark.parametrize("args, message", [
    (("--for", "4x"), "--for: '4x' is not a duration"),
    (("--interval", "0"), "--interval: '0' is not a positive duration"),
    (("--target", "/nonexistent/examday.toml"), "no configuration file there"),
    (("--sign-key", "/nonexistent/key"), "--sign-key /nonexistent/key: no such file"),
])
def test_bad_input_is_one_message_and_exit_2(args, message, tmp_path):
    done = examday_cli("watch", "--reports-dir", str(tmp_path), *args, cwd=tmp_path)
    assert done.returncode == EXIT_USAGE, done.stdout + done.stderr
    assert done.stderr.count("error:") == 1 and message in " ".join(done.stderr.split())
    assert "Traceback" not in done.stdout + done.stderr
    assert not list(tmp_path.glob("*/watch-*")), "nothing written for bad input"
