#!/usr/bin/env python3
"""The sandbox's alert receiver: Alertmanager's webhook target, and a record of what arrived.

POST /alerts   Alertmanager's webhook payload; every alert in it is appended, with the
               payload's status (firing or resolved), to a JSON-lines file.
GET  /alerts   everything received so far, as a JSON list (what examday reads to confirm
               that a test alert was delivered end to end, and then resolved).
GET  /healthz  200.
Standard library only; received alerts survive a restart of the process, not of the container.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RECORD = Path("/var/lib/alert-receiver/alerts.jsonl")
MAX_BODY = 1_048_576
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        if self.path != "/alerts":
            return self._answer(404, {"error": "not found"})
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        try:
            payload = json.loads(self.rfile.read(length))
        except ValueError:
            return self._answer(400, {"error": "not JSON"})
        received = time.time()
        lines = [json.dumps({"received_at": received, "receiver": payload.get("receiver"),
                             "status": alert.get("status"), "labels": alert.get("labels", {}),
                             "annotations": alert.get("annotations", {})})
                 for alert in payload.get("alerts", [])]
        with LOCK, RECORD.open("a") as record:
            record.writelines(line + "\n" for line in lines)
        self._answer(200, {"recorded": len(lines)})

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/healthz":
            return self._answer(200, {"status": "ok"})
        if self.path != "/alerts":
            return self._answer(404, {"error": "not found"})
        with LOCK:
            text = RECORD.read_text() if RECORD.exists() else ""
        self._answer(200, [json.loads(line) for line in text.splitlines() if line.strip()])

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        sys.stdout.write(json.dumps({"event": "http", "line": format % args}) + "\n")
        sys.stdout.flush()


def main() -> None:
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1]) if len(sys.argv) > 1 else 9095), Handler).serve_forever()


if __name__ == "__main__":
    main()
