"""A container's log lines with docker's own timestamps, from its json-file log or the engine API.

The engine's API streams about 100,000 lines/s; where the engine is on this machine and the
container logs with the json-file driver, the file it writes (``LogPath``, root-readable) is read
directly, several times faster. Both give the same entries: ``(nanoseconds, line)``, the line as
``DockerProbe.logs`` gives it (decoded, no newline, cut to ``max_line_bytes`` + 1 bytes).

The json-file driver rotates ``<id>-json.log`` to ``.1``, ``.2`` ... (older higher); a window may
reach into them, so each file is entered by bisection on its lines' times and read in order.
Compressed rotations (``.gz``) are not read: the API is used then.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import msgspec

from examday.probes.line_framing import split_lines

JSON_FILE, API = "json-file", "docker API"
_TIME_KEY = b'"time":"'
_BISECT_STOP = 256 * 1024  # below this many bytes the rest is read line by line
_TIMESTAMP_ROOM = 64  # the API's "<RFC 3339 nano> " before each line, kept out of max_line_bytes

Entry = tuple[int, str]  # (docker's timestamp in ns since the epoch, the line)


class _FileEntry(msgspec.Struct, gc=False):
    log: str
    time: str
    stream: str = "stdout"


_decode_entry = msgspec.json.Decoder(_FileEntry).decode


@dataclass(frozen=True)
class LogSource:
    """Where a container's log is read from, and which container (its id changes when recreated)."""

    container_id: str
    log_path: Path | None  # the json-file log, when it can be read directly
    oldest_ns: int | None  # the first line's time in the oldest file kept (json-file only)

    @property
    def kind(self) -> str:
        return JSON_FILE if self.log_path is not None else API


def log_source(attrs: dict[str, Any], local_engine: bool) -> LogSource:
    """From the container's inspect: the json-file path when this process can read it."""
    container_id = str(attrs.get("Id", ""))
    driver = ((attrs.get("HostConfig") or {}).get("LogConfig") or {}).get("Type")
    path = Path(attrs["LogPath"]) if attrs.get("LogPath") else None
    if not local_engine or driver != JSON_FILE or path is None or not os.access(path, os.R_OK):
        return LogSource(container_id, None, None)
    if any(sibling.suffix == ".gz" for sibling in path.parent.glob(path.name + ".*")):
        return LogSource(container_id, None, None)  # compressed rotations: the engine reads them
    return LogSource(container_id, path, _oldest_time(path))


def is_local_engine(url: str | None) -> bool:
    """The engine's files are this machine's: the default socket or a unix:// one."""
    return url is None or url.startswith(("unix://", "/"))


def file_entries(path: Path, since_ns: int, max_line_bytes: int) -> Iterator[Entry]:
    """The entries at or after ``since_ns`` in the log and its rotations, oldest first."""
    # Opened together, so a rotation while reading renames a file under an open handle, not away.
    handles = [_open(file) for file in reversed(_rotations(path))]
    parts: dict[str, list[str]] = {}  # a long line's pieces may straddle two files
    try:
        for handle in handles:
            if handle is not None:
                yield from _entries_of(handle, since_ns, max_line_bytes, parts)
    finally:
        for handle in handles:
            if handle is not None:
                handle.close()


def api_entries(chunks: Iterable[bytes], max_line_bytes: int) -> Iterator[Entry]:
    """``docker logs --timestamps``'s lines as entries, each line cut as ``DockerProbe.logs`` cuts it."""
    for raw in split_lines(chunks, max_line_bytes + _TIMESTAMP_ROOM):
        stamp, _, line = raw.partition(b" ")
        ns = nanoseconds(stamp.decode("ascii", "replace"))
        if ns is not None:
            yield ns, line[:max_line_bytes + 1].decode("utf-8", "replace")


def nanoseconds(stamp: str, _seconds: dict[str, int] = {}) -> int | None:  # noqa: B006 - the cache
    """RFC 3339 (docker writes UTC, "Z", up to 9 digits) -> ns since the epoch; None if unreadable."""
    head = stamp[:19]
    seconds = _seconds.get(head)
    if seconds is None:
        try:
            seconds = int(datetime.fromisoformat(head).replace(tzinfo=timezone.utc).timestamp())
        except ValueError:
            return None
        if len(_seconds) > 4096:  # one entry a second of log: bounded
            _seconds.clear()
        _seconds[head] = seconds
    if not stamp.endswith("Z"):
        return _other_zone(stamp)
    fraction = stamp[20:-1] if stamp[19:20] == "." else ""
    if not fraction.isdigit() and fraction:
        return None
    return seconds * 1_000_000_000 + int((fraction + "000000000")[:9])


def _other_zone(stamp: str) -> int | None:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _rotations(path: Path) -> list[Path]:
    """The log and its rotated siblings, newest first (path, path.1, path.2 ...)."""
    files, number = [path], 1
    while (sibling := path.with_name(f"{path.name}.{number}")).exists():
        files.append(sibling)
        number += 1
    return files


def _open(path: Path) -> IO[bytes] | None:
    try:
        return path.open("rb")
    except OSError:  # rotated away between the listing and the open
        return None


def _oldest_time(path: Path) -> int | None:
    handle = _open(_rotations(path)[-1])
    if handle is None:
        return None
    with handle:
        return _line_time(handle.readline())


def _line_time(raw: bytes) -> int | None:
    at = raw.rfind(_TIME_KEY)
    if at < 0:
        return None
    start = at + len(_TIME_KEY)
    end = raw.find(b'"', start)
    return nanoseconds(raw[start:end].decode("ascii", "replace")) if end > start else None


def _entries_of(handle: IO[bytes], since_ns: int, max_line_bytes: int, parts: dict[str, list[str]]) -> Iterator[Entry]:
    """One file's entries; ``parts`` holds each stream's unfinished line, carried into the next file."""
    handle.seek(_start_offset(handle, since_ns))
    for raw in handle:
        try:
            entry = _decode_entry(raw)
        except msgspec.DecodeError:  # a line being written as we read, or damaged: not an entry
            continue
        text = entry.log
        if not text.endswith("\n"):  # a piece of a line over 16 KiB: the rest follows, newline last
            pieces = parts.setdefault(entry.stream, [])
            if sum(map(len, pieces)) <= max_line_bytes:  # enough kept to be cut, as the API path cuts
                pieces.append(text)
            continue
        text = text[:-1]
        pieces = parts.pop(entry.stream, None)
        if pieces:
            text = "".join(pieces) + text
        ns = nanoseconds(entry.time)
        if ns is not None and ns >= since_ns:
            yield ns, _cut(text, max_line_bytes)


def _cut(text: str, max_line_bytes: int) -> str:
    """As ``decoded_lines`` gives it: at most max_line_bytes + 1 bytes, a cut character replaced."""
    if text.isascii():
        return text[:max_line_bytes + 1] if len(text) > max_line_bytes else text
    data = text.encode("utf-8", "surrogatepass")
    return data[:max_line_bytes + 1].decode("utf-8", "replace") if len(data) > max_line_bytes else text


def _start_offset(handle: IO[bytes], since_ns: int) -> int:
    """A line start at or before the first line at ``since_ns`` (times are in order, near enough)."""
    low, high = 0, handle.seek(0, os.SEEK_END)
    while high - low > _BISECT_STOP:
        middle = (low + high) // 2
        handle.seek(middle)
        handle.readline()  # the rest of the line the middle fell in
        start = handle.tell()
        moment = _line_time(handle.readline())
        if moment is not None and moment < since_ns:
            low = start
        else:
            high = middle
    return low
