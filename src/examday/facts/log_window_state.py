"""A log window kept between watch rounds: each round is its own pytest process, so the window
(facts/log_window.py) is loaded at the start of the round's log read and saved after it.

The file is the watch's own (``WatchLayout.log_state``, named to the child by ``STATE_ENV``),
written by this code and read back by it alone: pickle, with each HdrHistogram as its compact
encoding (a few hundred bytes instead of a 94 to 190 KiB counts array). Anything unreadable,
of another version, or for another container, window or settings is ignored: the round then
reads its whole window, as the first one does.
"""

from __future__ import annotations

import copyreg
import datetime as dt
import hashlib
import io
import os
import pickle
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from examday.facts.log_analysis import LogAnalyzer, LogSettings, LogSummary
from examday.facts.log_analysis.limits import _HISTOGRAM_MAX_US
from examday.facts.log_window import LogWindow, read_window
from examday.facts.ports import DockerReads

STATE_ENV = "EXAMDAY_LOG_WINDOW_STATE"  # a folder: set by `examday watch` for its rounds
_VERSION = 1
_ANALYZER_STATE = ("since", "_tallies", "_overall", "_sampled", "_slow_routes", "_slow_sql_table", "_routes", "_errors")


def windowed_summary(docker: DockerReads, container: str, settings: LogSettings, minutes: float,
                     folder: Path, now: dt.datetime | None = None) -> LogSummary:
    """The window's summary, reading only what is new since the round that saved ``folder``'s state."""
    key = window_key(container, settings, minutes)
    path = folder / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.pickle"
    window = load_window(path, key, settings) or LogWindow(key, settings)
    summary = read_window(window, docker, container, now or dt.datetime.now(dt.timezone.utc), minutes)
    save_window(path, window)  # only after a whole read: a failed one leaves the last round's state
    return summary


def window_key(container: str, settings: LogSettings, minutes: float) -> str:
    return f"{container}\n{minutes!r}\n{settings!r}"


def save_window(path: Path, window: LogWindow) -> None:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, HdrHistogram: _reduce_histogram}  # type: ignore[misc]
    buckets = {minute: tuple(getattr(analyzer, name) for name in _ANALYZER_STATE)
               for minute, analyzer in window.buckets.items()}
    pickler.dump({"version": _VERSION, "key": window.key, "cursor": window.cursor, "buckets": buckets})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, path)  # a round killed mid-write leaves the previous state whole


def load_window(path: Path, key: str, settings: LogSettings) -> LogWindow | None:
    try:
        state = pickle.loads(path.read_bytes())  # noqa: S301 - the watch's own file, written above
    except Exception:  # noqa: BLE001 - missing, cut short, another version's classes: start afresh
        return None
    if not isinstance(state, dict) or state.get("version") != _VERSION or state.get("key") != key:
        return None
    window = LogWindow(key, settings)
    window.cursor = state["cursor"]
    window.buckets = {minute: _analyzer(settings, parts) for minute, parts in state["buckets"].items()}
    return window


def _analyzer(settings: LogSettings, parts: tuple[Any, ...]) -> LogAnalyzer:
    analyzer = LogAnalyzer(settings)
    for name, value in zip(_ANALYZER_STATE, parts, strict=True):
        setattr(analyzer, name, value)
    return analyzer


def _reduce_histogram(histogram: HdrHistogram) -> tuple[Any, tuple[bytes, int]]:
    return _histogram, (histogram.encode(), histogram.get_word_size())


def _histogram(encoded: bytes, word_size: int) -> HdrHistogram:
    histogram = HdrHistogram(1, _HISTOGRAM_MAX_US, 3, word_size=word_size)
    histogram.decode_and_add(encoded)
    return histogram
