"""Lines out of a stream of byte chunks (docker's log stream, a proxy's access log), holding at most one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def split_lines(chunks: Iterable[bytes], max_line_bytes: int = 65536) -> Iterator[bytes]:
    """Lines from a stream of byte chunks (e.g. docker's log stream), holding at most one line.

    A line longer than ``max_line_bytes`` is cut to ``max_line_bytes + 1``
    bytes, which the analyzer counts as oversized, and the rest is dropped.
    """
    buffer = bytearray()
    overflowing = False
    for chunk in chunks:
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            piece = chunk[start:] if newline < 0 else chunk[start:newline]
            if not overflowing:
                buffer += piece
                if len(buffer) > max_line_bytes:
                    del buffer[max_line_bytes + 1 :]
                    overflowing = True
            if newline < 0:
                break
            yield bytes(buffer).rstrip(b"\r")
            buffer.clear()
            overflowing = False
            start = newline + 1
    if buffer:
        yield bytes(buffer).rstrip(b"\r")


def decoded_lines(chunks: Iterable[bytes], max_line_bytes: int = 65536) -> Iterator[str]:
    """``split_lines`` as text, for readers that search lines: an invalid UTF-8 byte becomes U+FFFD."""
    for line in split_lines(chunks, max_line_bytes):
        yield line.decode("utf-8", "replace")
