"""Headless Chromium driven over its DevTools pipe, with JavaScript disabled.

Chromium's own --screenshot/--print-to-pdf/--dump-dom switches produce nothing
once scripts are disabled (--blink-settings=scriptEnabled=false) in current
headless mode, so this speaks the DevTools protocol over --remote-debugging-pipe
(no network, no extra package): scripts off (the blink setting and
Emulation.setScriptExecutionDisabled), load the page, then screenshot, PDF and
the DOM as rendered.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
A4_INCHES = (8.27, 11.69)


@dataclass
class Rendering:
    png: bytes
    pdf: bytes
    dom: str


class DevToolsPipe:
    def __init__(self, profile: Path) -> None:
        to_chrome_r, self._to_chrome = _high_pipe()
        self._from_chrome, from_chrome_w = _high_pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4; bash moves our pipes there
        # (dash cannot: it knows no fd above 9).
        redirect = f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-'
        self.process = subprocess.Popen(
            ["bash", "-c", redirect, CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run", f"--user-data-dir={profile}",
             "--blink-settings=scriptEnabled=false", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_chrome_r, from_chrome_w))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            self.events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_chrome], [], [], remaining)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def _high_pipe() -> tuple[int, int]:
    """A pipe whose ends are above fd 4, so moving them onto fds 3 and 4 cannot clobber one another."""
    low = os.pipe()
    high = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in low)
    for fd in low:
        os.close(fd)
    return high[0], high[1]


def render(page: Path, profile: Path) -> Rendering:
    """Load `page` with scripts disabled; return its screenshot, A4 PDF and rendered DOM."""
    pipe = DevToolsPipe(profile)
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        pipe.send("Emulation.setScriptExecutionDisabled", {"value": True}, session)
        pipe.send("Page.enable", {}, session)
        pipe.send("Page.navigate", {"url": page.resolve().as_uri()}, session)
        pipe.wait_event("Page.loadEventFired")
        png = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session)
        pdf = pipe.send("Page.printToPDF", {"paperWidth": A4_INCHES[0], "paperHeight": A4_INCHES[1],
                                            "preferCSSPageSize": True, "printBackground": True}, session)
        root = pipe.send("DOM.getDocument", {"depth": -1}, session)["root"]["nodeId"]
        dom = pipe.send("DOM.getOuterHTML", {"nodeId": root}, session)["outerHTML"]
        return Rendering(base64.b64decode(png["data"]), base64.b64decode(pdf["data"]), dom)
    finally:
        pipe.close()
