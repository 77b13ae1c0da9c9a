"""One round: `pytest -m during` in a subprocess, bounded in time, read back from its record.

A subprocess rather than pytest.main in-process: every round starts clean (no
module state, no fixtures or connections carried over), and a hung round can be
stopped without stopping the watch. The child runs in its own session, so a
Ctrl-C typed at the terminal reaches the watch alone; the watch decides whether
the round finishes or is cut short (SIGINT, which pytest turns into a partial
record, then SIGKILL if it does not end).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from examday.checklist_files import checklist_rootdir, pytest_args
from examday.errors import ExamdayError
from examday.facts.log_window_state import STATE_ENV
from examday.report.archive import RESULTS_NAME
from examday.report.listing import record_folders
from examday.report.redaction import Redactor
from examday.watch.layout import WatchLayout
from examday.watch.summary import (
    ERROR,
    INTERRUPTED,
    RoundSummary,
    read_results,
    summary_from_results,
)

PHASE = "during"
KILL_GRACE_S = 10.0  # after SIGINT, time for pytest to write the partial record before SIGKILL
POLL_S = 0.2


class RoundUsageError(ExamdayError):
    """pytest refused the round's command line (exit 4, no record): no later round would do better."""


@dataclass(frozen=True)
class RoundOptions:
    """What every round passes to pytest: the target and the record/attestation options."""

    target: Path
    timeout_s: float = 300.0
    operator: str | None = None
    attestations: Path | None = None
    strict_attestations: bool = False
    sign_key: Path | None = None
    waivers: Path | None = None
    # Applied to each line of the round's output before it reaches logs/ (records redact themselves).
    redactor: Redactor = field(default_factory=Redactor, compare=False)

    def pytest_argv(self, reports_dir: Path) -> list[str]:
        argv = [sys.executable, "-m", "pytest", *pytest_args(), "-m", PHASE, "-q", "-p", "no:cacheprovider",
                "--target", str(self.target.absolute()), "--reports-dir", str(reports_dir.absolute())]
        if self.operator is not None:
            argv += ["--operator", self.operator]
        for flag, path in (("--attestations", self.attestations), ("--sign-key", self.sign_key),
                           ("--waivers", self.waivers)):
            if path is not None:  # absolute: the child runs in the checklist's folder, not ours
                argv += [flag, str(path.absolute())]
        return argv + (["--strict-attestations"] if self.strict_attestations else [])


@dataclass
class _Ending:
    """How the child ended, as the round's summary needs it."""

    returncode: int
    problem: str = ""
    cut_short: bool = False  # the watch was stopped
    timed_out: bool = False


def run_round(number: int, options: RoundOptions, layout: WatchLayout,
              cut_short_requested: Callable[[], bool]) -> RoundSummary:
    """Run round `number`; its record lands under layout.rounds, its output in layout.log_of(number)."""
    before = set(record_folders(layout.rounds))
    started = dt.datetime.now(dt.timezone.utc)
    log = layout.log_of(number)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as output:
        child = subprocess.Popen(options.pytest_argv(layout.rounds), cwd=checklist_rootdir(),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 start_new_session=True, env=round_environment(layout))
        copier = threading.Thread(target=_copy_redacted, args=(child.stdout, output, options.redactor),
                                  name=f"round-{number}-log", daemon=True)
        copier.start()
        ending = _wait(child, options.timeout_s, cut_short_requested)
        copier.join(timeout=KILL_GRACE_S)  # the pipe closes with the child (and anything it started)
    new = sorted(set(record_folders(layout.rounds)) - before)
    fields = {"number": number, "started_at": started, "ended_at": dt.datetime.now(dt.timezone.utc),
              "cut_short": ending.cut_short}
    if not new:
        return _without_record(ending, log, fields)
    return _from_record(new[-1], layout, ending, log, fields)


def round_environment(layout: WatchLayout) -> dict[str, str]:
    """The watch's environment, plus where the round keeps the backend's log window for the next one."""
    return {**os.environ, STATE_ENV: str(layout.log_state.absolute())}


def _copy_redacted(stream: IO[bytes], output: IO[str], redactor: Redactor) -> None:
    """The child's output, line by line, with every known secret and secret-looking value masked."""
    for raw in iter(stream.readline, b""):
        output.write(redactor.text(raw.decode("utf-8", errors="replace")))
        output.flush()


def _wait(child: subprocess.Popen[bytes], timeout_s: float, cut_short_requested: Callable[[], bool]) -> _Ending:
    deadline = time.monotonic() + timeout_s
    interrupted_at: float | None = None
    ending = _Ending(returncode=0)
    while child.poll() is None:
        now = time.monotonic()
        if interrupted_at is None and (now >= deadline or cut_short_requested()):
            ending.cut_short, ending.timed_out = now < deadline, now >= deadline
            ending.problem = ("cut short: the watch was stopped" if ending.cut_short
                              else f"timed out after {timeout_s:g}s")
            _signal_group(child, signal.SIGINT)
            interrupted_at = now
        elif interrupted_at is not None and now - interrupted_at > KILL_GRACE_S:
            _signal_group(child, signal.SIGKILL)
            ending.problem += " (killed: it did not stop on SIGINT)"
            child.wait()
        time.sleep(POLL_S)
    ending.returncode = child.returncode
    return ending


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(child.pid, signum)  # the whole group: pytest and anything it started
    except ProcessLookupError:
        pass  # ended meanwhile


def _without_record(ending: _Ending, log: Path, fields: dict[str, Any]) -> RoundSummary:
    errors = _lines_starting(log, "ERROR:")
    if ending.returncode == pytest.ExitCode.USAGE_ERROR and errors and not ending.problem:
        raise RoundUsageError(" ".join(line.removeprefix("ERROR:").strip() for line in errors))
    problem = ending.problem or f"pytest exited {ending.returncode} and wrote no record (see {log.name})"
    return RoundSummary(verdict=INTERRUPTED if ending.cut_short else ERROR, problem=problem, **fields)


def _from_record(folder: Path, layout: WatchLayout, ending: _Ending, log: Path,
                 fields: dict[str, Any]) -> RoundSummary:
    record = str(folder.relative_to(layout.folder))
    try:
        document = read_results(folder / RESULTS_NAME)
    except (OSError, ValueError) as error:
        return RoundSummary(verdict=ERROR, record=record, problem=f"{RESULTS_NAME} unreadable: {error}", **fields)
    # "examday error:" is the recorder's line for a record written unsigned or incompletely.
    problem = ending.problem or " ".join(_lines_starting(log, "examday error:"))
    summary = summary_from_results(document, record=record, problem=problem, **fields)
    if ending.timed_out:
        summary.verdict = ERROR  # its record covers only the items done in time: the round failed
    return summary


def _lines_starting(log: Path, prefix: str) -> list[str]:
    try:
        return [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
                if line.startswith(prefix)]
    except OSError:
        return []
