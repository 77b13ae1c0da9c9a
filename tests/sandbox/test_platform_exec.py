"""The sandbox's own exec (faults, seeds, the ownership checks): its replies whole, its commands as given."""

from __future__ import annotations

import http.client
import time

import pytest

from examday.sandbox.lifecycle import Sandbox

pytestmark = pytest.mark.sandbox


def test_a_short_reply_the_http_reader_already_buffered_is_kept(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch):
    """docker-py's exec_run lost such a reply whole (docker-py #3332); reading the headers late forces it."""
    read_headers = http.client.HTTPResponse.begin

    def late_begin(response: http.client.HTTPResponse) -> None:
        time.sleep(0.5)  # PING has been answered and redis-cli has exited by now
        read_headers(response)

    monkeypatch.setattr(http.client.HTTPResponse, "begin", late_begin)
    platform = sandbox.platform()
    for _ in range(3):
        assert platform.exec("redis", ["redis-cli", "PING"]) == (0, "PONG\n")


def test_a_command_runs_as_given_so_pgrep_finds_only_what_it_looks_for(sandbox: Sandbox):
    """The faults find their own processes with `pgrep -f MARK`: a `timeout` around it would be found."""
    code, output = sandbox.platform().exec("ops", ["pgrep", "-f", "examday-no-such-process-mark"])
    assert (code, output) == (1, "")
