"""The backend's log summary over a moving window, each round reading only the lines since the last.

A watch round used to read the whole window again (1,000,000 lines: 11 s, most of it the engine's
API). Here the window is kept between rounds as per-minute analysers (``BUCKET_S`` of docker's
timestamps each): a round drops the minutes that left the window, reads the lines after its
cursor into the minutes they belong to, and folds the kept minutes into one summary
(facts/log_merge.py: exactly what a single pass over the same lines gives).

The window starts at a minute boundary (the minute holding now - window), so it is up to a minute
longer than asked, never shorter; ``since`` in the summary says where it starts.

The cursor is docker's timestamp of the newest line read and how many lines carried exactly that
timestamp: the next read starts at that timestamp and skips those. A new container id (the
container recreated) or lines gone from the start of its log (rotated away while the window still
reached them) starts the window afresh, read whole from its start, as a first round does.
Limits: a line whose own timestamp is older than the window's start but that docker stamped
after it is judged against the window start of the round that read it; lines docker stamps out
of order across a round's end (stdout and stderr have a copier each: seen a millisecond apart) are
taken as already read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import groupby

from examday.facts.log_analysis import LogAnalyzer, LogSettings, LogSummary
from examday.facts.log_merge import merged, widen
from examday.facts.ports import DockerReads
from examday.probes.docker_log_files import Entry, LogSource

BUCKET_S = 60
BUCKET_NS = BUCKET_S * 1_000_000_000


@dataclass
class Cursor:
    container_id: str
    ns: int = 0  # docker's timestamp of the newest line read
    at_ns: int = 0  # how many of the lines read carry exactly that timestamp
    oldest_ns: int | None = None  # the oldest line its log file kept, last time


class LogWindow:
    """One container's window: its cursor and its per-minute analysers."""

    def __init__(self, key: str, settings: LogSettings) -> None:
        self.key = key
        self.settings = settings
        self.cursor: Cursor | None = None
        self.buckets: dict[int, LogAnalyzer] = {}  # minute (ns // BUCKET_NS) -> its lines' analyser

    def begin(self, source: LogSource, start_ns: int) -> int:
        """Drop the minutes before ``start_ns`` (a minute boundary); -> where to read from."""
        cursor = self.cursor
        if cursor is None or cursor.container_id != source.container_id or _lost_lines(cursor, source, start_ns):
            self.buckets.clear()
            cursor = self.cursor = Cursor(source.container_id)
        cursor.oldest_ns = source.oldest_ns
        first = start_ns // BUCKET_NS
        for minute in [minute for minute in self.buckets if minute < first]:
            del self.buckets[minute]
        return max(cursor.ns, start_ns)

    def feed(self, entries: Iterable[Entry], since: dt.datetime) -> int:
        """The entries after the cursor, each into its minute; -> how many were read."""
        cursor = self.cursor
        assert cursor is not None, "begin() first"
        tracker = _Tracker(cursor.ns, cursor.at_ns)
        first = int(since.timestamp()) * 1_000_000_000 // BUCKET_NS
        for minute, group in groupby(_after(iter(entries), cursor.ns, cursor.at_ns), key=tracker):
            lines = (line for _, line in group)
            if minute < first:  # stamped before the window (never from the engine's since=): not in it
                for _ in lines:
                    pass
                continue
            self._bucket(minute, since).feed_all(lines)
        cursor.ns, cursor.at_ns = tracker.newest, tracker.at_newest
        return tracker.read

    def _bucket(self, minute: int, since: dt.datetime) -> LogAnalyzer:
        analyzer = self.buckets.get(minute)
        if analyzer is None:
            analyzer = self.buckets[minute] = widen(LogAnalyzer(self.settings, since=since))
            earlier = [key for key in self.buckets if key < minute]
            if earlier:  # a traceback's lines may straddle two minutes: the stream goes on
                analyzer._errors._in_traceback = self.buckets[max(earlier)]._errors._in_traceback
        return analyzer

    def summary(self, since: dt.datetime, source: str) -> LogSummary:
        """The kept minutes, folded in order: what one pass over their lines gives."""
        total = merged([self.buckets[minute] for minute in sorted(self.buckets)], LogAnalyzer(self.settings, since=since))
        return replace(total.summary(), source=source)


class _Tracker:
    """groupby's key: the entry's minute; on the way, the newest timestamp and the count at it."""

    __slots__ = ("newest", "at_newest", "read")

    def __init__(self, newest: int, at_newest: int) -> None:
        self.newest, self.at_newest, self.read = newest, at_newest, 0

    def __call__(self, entry: Entry) -> int:
        moment = entry[0]
        self.read += 1
        if moment > self.newest:
            self.newest, self.at_newest = moment, 1
        elif moment == self.newest:
            self.at_newest += 1
        return moment // BUCKET_NS


def _after(entries: Iterator[Entry], ns: int, at_ns: int) -> Iterator[Entry]:
    """The entries after the cursor: those before ``ns`` and the first ``at_ns`` at it were read."""
    seen = 0
    for entry in entries:
        moment = entry[0]
        if moment < ns or (moment == ns and seen < at_ns):
            seen += moment == ns
            continue
        yield entry
        break
    yield from entries


def _lost_lines(cursor: Cursor, source: LogSource, start_ns: int) -> bool:
    """The log's oldest kept line moved into the window: lines the window holds are gone from the log."""
    return (source.oldest_ns is not None and cursor.oldest_ns is not None
            and source.oldest_ns > cursor.oldest_ns and source.oldest_ns > start_ns)


def window_start_ns(now: dt.datetime, minutes: float) -> int:
    """The minute boundary at or before now - minutes."""
    start = int((now.timestamp() - minutes * 60) * 1_000_000_000)
    return start // BUCKET_NS * BUCKET_NS


def read_window(window: LogWindow, docker: DockerReads, container: str, now: dt.datetime, minutes: float) -> LogSummary:
    """One round: the new lines read into ``window``, and its summary."""
    start_ns = window_start_ns(now, minutes)
    since = dt.datetime.fromtimestamp(start_ns // 1_000_000_000, dt.timezone.utc)
    source = docker.log_source(container)
    read_from = window.begin(source, start_ns)
    read = window.feed(docker.log_entries(container, source, read_from, window.settings.max_line_bytes), since)
    how = "the whole window" if read_from == start_ns else f"{read:,} lines new since the last round"
    return window.summary(since, f"{source.kind}, {how}")
