"""HTTP/1.1 lanes: one keep-alive connection each, one request at a time. The generator's hot path.

Why not httpx: on this project's 2-core machines httpx.AsyncClient carried
about a thousand requests a second on one core where wrk carried a hundred
thousand against the same server, and the generator must reach half of wrk
(bench/bench_load.py). So a lane is an asyncio protocol driven by callbacks,
with no task or future per request, and answers are parsed by httptools
(llhttp, the parser uvicorn uses): keep-alive, ``Connection: close`` and
chunked bodies are handled as a real client handles them.

A lane reports every job exactly once to its ``finished`` callback, answered
or not: an HTTP status, or a failure (``timeout``, ``connection``, ``cut``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httptools

from examday.rehearsal.target import Target

TIMEOUT, CONNECTION, CUT, CAPPED = "timeout", "connection", "cut", "capped"


@dataclass(slots=True, eq=False)
class Job:
    """One request: when it was meant to go, its bytes, and what became of it (times: perf_counter)."""

    scheduled_at: float
    payload: bytes
    on_done: Callable[[Job], None] | None = None
    wants_body: bool = False
    sent_at: float | None = None  # when a lane took it: sent_at - scheduled_at is the generator's own lateness
    done_at: float = 0.0
    status: int = 0  # the HTTP status; 0 when no answer came
    failure: str | None = None  # TIMEOUT, CONNECTION, CUT or CAPPED
    detail: str = ""  # what went wrong, for the record's example of each failure
    body: bytes = b""
    retried: bool = False


def encode_request(method: str, path: str, host: str, headers: Mapping[str, str] | None = None,
                   body: bytes | None = None) -> bytes:
    """The request's bytes, ready to write; refuses a CR or LF that would forge a header."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines)
    if "\n" in head.replace("\r\n", "") or "\r" in head.replace("\r\n", ""):
        raise ValueError(f"a CR or LF inside the request line or a header: {head!r}")
    return (head + "\r\n\r\n").encode("latin-1") + (body or b"")


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection of a lane; a lane outlives its connections."""

    def __init__(self, lane: Lane) -> None:
        self.lane = lane
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.chunks: list[bytes] = []
        self.carried = 0  # answers completed on this connection: a reused one may be stale
        self.received = False  # any byte of the current answer yet

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.lane._attached(self)

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.lane._broken(self, f"not valid HTTP: {error}")

    def on_message_complete(self) -> None:
        self.carried += 1
        self.lane._answered(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lane._lost(self, exc)


class _BodyConnection(_Connection):
    """A connection that keeps the answers' bodies (httptools calls on_body only where it is defined)."""

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)


class Lane:
    """A slot for one request at a time over a kept-alive connection, reconnecting when it is closed."""

    def __init__(self, target: Target, finished: Callable[[Lane, Job], None], bodies: bool = True) -> None:
        self.target = target
        self._connection_type = _BodyConnection if bodies else _Connection
        self.job: Job | None = None
        self._finished = finished
        self._conn: _Connection | None = None
        self._opening: _Connection | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def send(self, job: Job) -> None:
        """Carry ``job`` now (connecting first if needed); ``finished`` is called once it is over."""
        self.job = job
        job.sent_at = time.perf_counter()
        if self._conn is not None:
            self._conn.transport.write(job.payload)  # type: ignore[union-attr]
        elif self._opening is None:
            self.open()

    def open(self) -> None:
        """Start connecting; a job waiting on the lane goes out once connected."""
        conn = self._connection_type(self)
        self._opening = conn
        self._task = asyncio.get_running_loop().create_task(self._connect(conn))

    def abort(self, failure: str, detail: str = "") -> None:
        """Give up on the current job (and its connection), e.g. at its timeout or the run's deadline."""
        self._drop()
        if self.job is not None:
            self._fail(failure, detail)

    def close(self) -> None:
        self._drop()

    async def _connect(self, conn: _Connection) -> None:
        target = self.target
        try:
            await asyncio.get_running_loop().create_connection(
                lambda: conn, target.address, target.port, ssl=target.tls,
                server_hostname=target.host if target.tls else None)
        except OSError as error:  # refused, reset, TLS failures (ssl.SSLError is an OSError)
            if self._opening is conn:
                self._opening = None
                if self.job is not None:
                    self._fail(CONNECTION, f"cannot connect to {target.address}:{target.port}: {error}")
        except asyncio.CancelledError:
            pass  # abort() gave up on this connection; the job was already reported

    def _attached(self, conn: _Connection) -> None:
        if conn is not self._opening:
            conn.transport.abort()  # type: ignore[union-attr]  # given up on while connecting
            return
        self._opening, self._task, self._conn = None, None, conn
        if self.job is not None:
            conn.transport.write(self.job.payload)  # type: ignore[union-attr]

    def _answered(self, conn: _Connection) -> None:
        job = self.job
        if job is None or conn is not self._conn:
            return
        job.done_at = time.perf_counter()
        job.status = conn.parser.get_status_code()
        if job.wants_body:
            job.body = b"".join(conn.chunks)
        conn.chunks.clear()
        conn.received = False
        if not conn.parser.should_keep_alive():
            self._drop()  # the server said Connection: close; the next job connects anew
        self.job = None
        self._finished(self, job)

    def _lost(self, conn: _Connection, error: Exception | None) -> None:
        if conn is not self._conn:
            return
        self._conn = None
        job = self.job
        if job is None:
            return  # an idle kept-alive connection closed by the server: reconnect on the next job
        if conn.carried and not conn.received and not job.retried:
            # The server closed a kept-alive connection as we wrote to it: retry once on a fresh one,
            # as browsers do. The latency still counts from the scheduled time.
            job.retried = True
            self.open()
            return
        self._fail(CONNECTION, f"connection closed before an answer{f': {error}' if error else ''}")

    def _broken(self, conn: _Connection, detail: str) -> None:
        if conn is self._conn and self.job is not None:
            self._drop()
            self._fail(CONNECTION, detail)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and conn.transport is not None:
            conn.transport.abort()
        if self._task is not None:
            self._task.cancel()
        self._opening, self._task = None, None

    def _fail(self, failure: str, detail: str) -> None:
        job, self.job = self.job, None
        assert job is not None
        job.failure, job.detail, job.done_at = failure, detail, time.perf_counter()
        self._finished(self, job)


@dataclass
class LaneSet:
    """The run's lanes: its bound on concurrency. Idle lanes are a stack, so warm connections are reused."""

    lanes: list[Lane]
    idle: list[Lane] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.idle = list(self.lanes)

    @property
    def all_idle(self) -> bool:
        return len(self.idle) == len(self.lanes)

    async def warm_up(self, within_s: float) -> int:
        """Open every lane's connection (at most ``within_s``); how many connected."""
        for lane in self.lanes:
            lane.open()
        deadline = time.perf_counter() + within_s
        while time.perf_counter() < deadline and any(lane._opening for lane in self.lanes):
            await asyncio.sleep(0.005)  # bounded by within_s
        return sum(lane.connected for lane in self.lanes)

    def close(self) -> None:
        for lane in self.lanes:
            lane.close()
