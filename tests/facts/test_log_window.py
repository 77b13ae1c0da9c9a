"""The watch's incremental log window gives exactly what a full re-read of the same window gives.

The same lines are read both ways, round after round: through ``windowed_summary`` (state saved
and loaded between rounds, each round reading only what is new) and by ``analyze_lines`` over
every line in the window. Every field of the summaries is compared. The rounds cross a restart
(a new container id), lines lost to rotation, a cursor on a timestamp several lines share with
more of them arriving after the round, and minutes leaving the window.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from examday.facts.log_analysis import LogSettings, LogSummary, analyze_lines
from examday.facts.log_window import BUCKET_NS, window_start_ns
from examday.facts.log_window_state import windowed_summary
from examday.probes.docker_log_files import Entry, LogSource, nanoseconds

BENCH_LOGS = Path(__file__).resolve().parents[2] / "bench" / "bench_logs.py"
MINUTES = 2.0
SETTINGS = LogSettings.from_config()


def bench_generator():
    spec = importlib.util.spec_from_file_location("bench_logs", BENCH_LOGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_log


def odd_lines(rng: random.Random, stamp: str) -> list[str]:
    """Lines that fill the bounded tables past their bounds: raw paths, slow routes, sampled paths,
    many distinct latencies on one route (a histogram in some minutes, exact counts in others)."""
    n = rng.randrange(100_000)
    shapes = [
        {"event": "request.end", "method": "GET", "path": f"/scan/p{n}", "route": None, "status_code": 404,
         "duration_ms": 600 + n % 7, "level": "info", "timestamp": stamp},
        {"event": "request.end", "method": "GET", "path": f"/s/{n}", "route": "/s/{n}", "sampled": True,
         "status_code": 200, "duration_ms": n % 5, "level": "info", "timestamp": stamp},
        {"event": "request.end", "method": "POST", "path": "/v1/wide", "route": "/v1/wide", "status_code": 500,
         "duration_ms": n / 10, "level": "info", "timestamp": stamp, "request_id": f"r{n}"},
        {"event": "request.end", "method": "PUT", "path": f"/r{n % 300}", "route": f"/r{n % 300}",
         "status_code": None, "duration_ms": 3, "level": "info", "timestamp": stamp},
        {"event": "boom", "level": "error", "timestamp": stamp},
    ]
    return [json.dumps(rng.choice(shapes))]


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[Entry]:
    """About five minutes of log: docker's timestamp is the line's own plus 1 us; a line without
    one (uvicorn's, a traceback's) shares the previous line's, so timestamps repeat."""
    path = tmp_path_factory.mktemp("log") / "backend.log"
    bench_generator()(path, 60_000, 2026)
    rng = random.Random(18)
    entries: list[Entry] = []
    ns = nanoseconds("2026-11-28T09:00:00Z")
    for line in path.read_text(encoding="utf-8").splitlines():
        stamp = line.rpartition('"timestamp": "')[2][:27] if '"timestamp": "' in line else None
        own = nanoseconds(stamp) if stamp else None
        ns = max(ns, own + 1000) if own else ns
        lines = [line] + (odd_lines(rng, stamp) if stamp and rng.random() < 0.15 else [])
        entries.extend((ns, text) for text in lines)
    return entries


class FakeEngine:
    """A container's log as the engine serves it: the entries it holds so far, from since_ns on."""

    def __init__(self, entries: list[Entry]) -> None:
        self.log: list[Entry] = []
        self.container_id = "first"
        self.all = entries

    def show(self, upto: int, start: int = 0) -> None:
        self.log = self.all[start:upto]

    def log_source(self, name: str) -> LogSource:
        return LogSource(self.container_id, None, self.log[0][0] if self.log else None)

    def log_entries(self, name: str, source: LogSource, since_ns: int, max_line_bytes: int = 0) -> Iterator[Entry]:
        return iter([entry for entry in self.log if entry[0] >= since_ns])


def full_read(engine: FakeEngine, now: dt.datetime) -> LogSummary:
    start = window_start_ns(now, MINUTES)
    since = dt.datetime.fromtimestamp(start // 1_000_000_000, dt.timezone.utc)
    return analyze_lines((line for ns, line in engine.log if ns >= start), SETTINGS, since=since)


def moment(engine: FakeEngine) -> dt.datetime:
    """Now: just after the newest line the engine holds."""
    return dt.datetime.fromtimestamp(engine.log[-1][0] / 1e9, dt.timezone.utc)


def same(incremental: LogSummary, full: LogSummary) -> None:
    assert incremental.lines > 0
    for field in dataclasses.fields(LogSummary):
        if field.name != "source":
            assert getattr(incremental, field.name) == getattr(full, field.name), field.name


def shared_timestamp_cut(entries: list[Entry], after: int) -> int:
    """An index after ``after`` whose entry shares its timestamp with the one before it."""
    return next(index for index in range(after, len(entries)) if entries[index][0] == entries[index - 1][0])


def test_rounds_read_incrementally_agree_with_a_full_re_read(entries: list[Entry], tmp_path: Path) -> None:
    engine = FakeEngine(entries)
    total = len(entries)
    cuts = [total // 10, total // 10 + 50, shared_timestamp_cut(entries, total // 5), total // 3,
            shared_timestamp_cut(entries, total // 2)]
    sources = []
    for upto in cuts:
        engine.show(upto)
        now = moment(engine)
        summary = windowed_summary(engine, "backend", SETTINGS, MINUTES, tmp_path, now=now)
        same(summary, full_read(engine, now))
        sources.append(summary.source)
    assert sources[0] == "docker API, the whole window"
    assert sources[1] == "docker API, 50 lines new since the last round"
    assert window_start_ns(moment(engine), MINUTES) > entries[0][0] + BUCKET_NS  # minutes left the window


def test_a_new_container_or_lost_lines_start_the_window_afresh(entries: list[Entry], tmp_path: Path) -> None:
    engine = FakeEngine(entries)
    total = len(entries)
    engine.show(total // 2)
    windowed_summary(engine, "backend", SETTINGS, MINUTES, tmp_path, now=moment(engine))
    engine.container_id, start = "recreated", total // 2 + 10  # its log starts with the new container
    engine.show(total * 3 // 5, start)
    summary = windowed_summary(engine, "backend", SETTINGS, MINUTES, tmp_path, now=moment(engine))
    same(summary, full_read(engine, moment(engine)))
    assert summary.source == "docker API, the whole window"
    # Rotation dropped the oldest lines while the window still reached them: read afresh.
    upto = total * 3 // 5 + 100
    now = dt.datetime.fromtimestamp(entries[upto - 1][0] / 1e9, dt.timezone.utc)
    kept_from = max(entries[start][0], window_start_ns(now, MINUTES)) + BUCKET_NS // 2
    engine.show(upto, next(index for index, entry in enumerate(entries) if entry[0] > kept_from))
    summary = windowed_summary(engine, "backend", SETTINGS, MINUTES, tmp_path, now=moment(engine))
    same(summary, full_read(engine, moment(engine)))
    assert summary.source == "docker API, the whole window"


def test_an_unreadable_state_file_is_a_first_round(entries: list[Entry], tmp_path: Path) -> None:
    engine = FakeEngine(entries)
    engine.show(5000)
    windowed_summary(engine, "backend", SETTINGS, MINUTES, tmp_path, now=moment(engine))
    for state in tmp_path.glob("*.pickle"):
        state.write_bytes(b"not a pickle")
    engine.show(6000)
    summary = windowed_summary(engine, "backend", SETTINGS, MINUTES, tmp_path, now=moment(engine))
    same(summary, full_read(engine, moment(engine)))
    assert summary.source == "docker API, the whole window"
