"""Ctrl-C and SIGTERM: end the watch cleanly, with the trend page written.

The first Ctrl-C lets the running round finish (a during round takes seconds,
and a complete record is worth the wait) and starts no other. A second Ctrl-C,
or SIGTERM (a service manager or CI timeout, which will not wait long), cuts
the running round short.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType


@dataclass
class StopRequest:
    stopping: bool = False  # start no new round
    cut_short: bool = False  # also end the running one now
    reason: str = ""  # "Ctrl-C" or "SIGTERM", for the closing message
    # The handler only sets flags and queues words: printing from inside a signal
    # handler could interleave with the live table being drawn.
    notices: list[str] = field(default_factory=list)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        self.reason = self.reason or name
        if signum == signal.SIGINT and not self.stopping:
            self.stopping = True
            self.notices.append("Ctrl-C: no new round; the running one finishes, then the trend page is written "
                                "(Ctrl-C again to cut it short)")
            return
        self.stopping = self.cut_short = True
        self.notices.append(f"{name}: cutting the running round short, then writing the trend page")

    def take_notices(self) -> list[str]:
        taken, self.notices = self.notices, []
        return taken


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """A StopRequest set by SIGINT/SIGTERM for the duration of the block (previous handlers restored)."""
    request = StopRequest()
    previous = {signum: signal.signal(signum, request.on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
