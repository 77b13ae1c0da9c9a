"""Real servers on 127.0.0.1 for the load tests: the fixed server in its own process, the fake platform."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from examday.rehearsal import Target, numbered_accounts, resolve_target
from tests.rehearsal.fake_platform import FakePlatform

REPO = Path(__file__).resolve().parents[2]


@dataclass
class FixedServer:
    """tests/rehearsal/fixed_server.py running as a child process."""

    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def target(self) -> Target:
        return resolve_target(self.url)

    def count(self) -> int:
        """Requests the server saw (asked over a connection of its own, not through the generator)."""
        with urllib.request.urlopen(f"{self.url}/count", timeout=5) as reply:
            return int(reply.read())

    def freeze(self, after_s: float, for_s: float) -> threading.Thread:
        """SIGSTOP the server ``after_s`` from now, SIGCONT it ``for_s`` later: a real stall."""
        def stall() -> None:
            time.sleep(after_s)
            os.kill(self.process.pid, signal.SIGSTOP)
            time.sleep(for_s)
            os.kill(self.process.pid, signal.SIGCONT)

        thread = threading.Thread(target=stall, daemon=True)
        thread.start()
        return thread


@pytest.fixture
def fixed_server() -> Iterator[FixedServer]:
    process = subprocess.Popen([sys.executable, "-m", "tests.rehearsal.fixed_server"], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("port "):
            raise RuntimeError(f"the fixed server did not start: {line!r}")
        yield FixedServer(process, int(line.split()[1]))
    finally:
        os.kill(process.pid, signal.SIGCONT)  # a test that failed mid-stall must not leave it frozen
        process.kill()
        process.wait(timeout=10)


# The fake platform's accounts: six students with one password (tests/rehearsal/fake_platform.py).
PASSWORD = "correct horse"
STUDENTS = 6


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform({account.username: PASSWORD for account in numbered_accounts(STUDENTS, PASSWORD)})
