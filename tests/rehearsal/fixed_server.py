"""A small real HTTP/1.1 server for the load tests, run as its own process so a test can freeze it.

    python -m tests.rehearsal.fixed_server   # prints "port N", then serves on 127.0.0.1 until killed

Its own process: SIGSTOP stalls it the way a stuck server stalls (connections
stay open, the kernel still takes the bytes, nothing answers), and its work
never competes with the generator's event loop. Routes (any method):

  /                 200 {"status":"ok"}
  /status/NNN       answers NNN
  /delay/MS         answers 200 after MS milliseconds
  /close            closes the connection without answering
  /bye              200 with "Connection: close", then closes
  /count            how many requests it saw before this one (plain text; not counted)
"""

from __future__ import annotations

import asyncio
import sys

OK_BODY = b'{"status":"ok"}'


def response(status: int, body: bytes = OK_BODY, close: bool = False) -> bytes:
    connection = b"Connection: close\r\n" if close else b""
    return (b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
            % (status, len(body), connection)) + body


class FixedProtocol(asyncio.Protocol):
    seen = 0

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:  # bounded by the bytes received
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = _content_length(head)
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            self.answer(head.split(b" ", 2)[1].decode())

    def answer(self, path: str) -> None:
        assert self.transport is not None
        if path == "/count":
            self.transport.write(response(200, str(FixedProtocol.seen).encode()))
            return
        FixedProtocol.seen += 1
        parts = path.strip("/").split("/")
        if parts[0] == "status":
            self.transport.write(response(int(parts[1])))
        elif parts[0] == "delay":
            asyncio.get_running_loop().call_later(int(parts[1]) / 1000, self._late)
        elif parts[0] == "close":
            self.transport.close()
        elif parts[0] == "bye":
            self.transport.write(response(200, close=True))
            self.transport.close()
        else:
            self.transport.write(response(200))

    def _late(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response(200))


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def serve() -> None:
    server = await asyncio.get_running_loop().create_server(FixedProtocol, "127.0.0.1", 0, backlog=1024)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    sys.exit(asyncio.run(serve()))
