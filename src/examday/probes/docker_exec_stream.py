"""An exec's raw output stream, as docker-py hands it back: read to its end within a deadline, cut
into its stdout and stderr frames, closed for good."""

from __future__ import annotations

import socket
import struct
import time
from typing import Any


def read_until_eof(raw: Any, deadline: float) -> bytes:
    sock = getattr(raw, "_sock", raw)  # unix/tcp: a SocketIO around the real socket
    reader = _http_reader_over(raw)
    receive = reader.read1 if reader is not None else sock.recv
    received = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        try:
            data = receive(65536)
        except (socket.timeout, TimeoutError):
            raise TimeoutError from None
        if not data:
            return bytes(received)
        received += data


def _http_reader_over(raw: Any) -> Any:
    """http.client's buffered reader over the socket docker-py handed back, or None. Reading the
    101 headers may have pulled the output's first frames into its buffer, and reading the socket
    under it would lose them: a whole short reply, on a busy client (docker-py #3332)."""
    response = getattr(getattr(raw, "_response", None), "raw", None)  # docker-py keeps it on the socket
    reader = getattr(getattr(response, "_fp", None), "fp", None)
    under = getattr(reader, "raw", None)
    if under is not None and (under is raw or getattr(under, "_sock", None) is raw):
        return reader
    return None


def _frames(payload: bytes) -> list[tuple[int, bytes]]:
    """Non-tty exec output cut at docker's 8-byte stream headers: (stream, data) in order, 2 being
    stderr; output that is not multiplexed after all is one stdout frame."""
    frames = []
    offset = 0
    while offset + 8 <= len(payload):
        stream_type, size = payload[offset], struct.unpack(">I", payload[offset + 4: offset + 8])[0]
        if stream_type not in (0, 1, 2):
            return [(1, payload)]
        frames.append((stream_type, payload[offset + 8: offset + 8 + size]))
        offset += 8 + size
    return frames


def demultiplex(payload: bytes) -> bytes:
    """stdout and stderr interleaved, in the order they were written."""
    return b"".join(data for _, data in _frames(payload))


def split_streams(payload: bytes) -> tuple[bytes, bytes]:
    frames = _frames(payload)
    return (b"".join(data for stream, data in frames if stream != 2),
            b"".join(data for stream, data in frames if stream == 2))


def close_quietly(raw: Any) -> None:
    # Shut the real socket down too: closing only the SocketIO wrapper would leave it open.
    sock = getattr(raw, "_sock", raw)
    for close in (lambda: sock.shutdown(socket.SHUT_RDWR), raw.close, sock.close):
        try:
            close()
        except Exception:  # a half-dead socket must not mask the real outcome
            pass
