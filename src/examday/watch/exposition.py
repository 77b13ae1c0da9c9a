"""The watch's verdicts in the Prometheus text format, for the team's own Prometheus and Grafana.

After every round: per item, whether it passed (1, 0 when it failed or errored; items not checked
are left out); the round's key figures (p95, error rate, pool usage, CPU and memory per container);
the round's verdict, duration and count. Served on a local port (`--metrics-listen`) for Prometheus
to scrape, and/or written to a file for node_exporter's textfile collector (`--metrics-file`,
replaced atomically so a scrape never reads half a file).
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from examday.watch.info import WatchInfo
from examday.watch.summary import RoundSummary

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CHECKED = {"passed": 1, "waived": 1, "failed": 0, "error": 0}  # a waived failure passes the gate, as in the record


def exposition(info: WatchInfo, rounds: list[RoundSummary]) -> str:
    """The metrics of the latest round (and the count of all), one family per metric with HELP and TYPE."""
    base = {"target": info.target_name, "exam": str((info.exam or {}).get("id", ""))}
    families: list[tuple[str, str, str, list[tuple[dict[str, str], float]]]] = [
        ("examday_rounds_total", "counter", "watch rounds run", [(base, len(rounds))]),
        ("examday_rounds_failed_total", "counter", "watch rounds that were NO-GO, INCOMPLETE or ERROR",
         [(base, sum(r.failed for r in rounds))])]
    if rounds:
        last = rounds[-1]
        families += [
            ("examday_round_go", "gauge", "1 when the latest round's verdict lets the exam go on",
             [({**base, "verdict": last.verdict}, 0 if last.failed else 1)]),
            ("examday_round_duration_seconds", "gauge", "how long the latest round took",
             [(base, (last.ended_at - last.started_at).total_seconds())]),
            ("examday_round_end_timestamp_seconds", "gauge", "when the latest round ended",
             [(base, last.ended_at.timestamp())]),
            ("examday_item_passed", "gauge", "1 when the item passed in the latest round, 0 when it failed",
             [({**base, "item": item}, CHECKED[outcome]) for item, outcome in last.item_outcomes.items()
              if outcome in CHECKED]),
            *_figures(base, last)]
    lines: list[str] = []
    for name, kind, help_text, samples in families:
        if samples:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
            lines += [f"{name}{_labels(labels)} {_number(value)}" for labels, value in samples]
    return "\n".join(lines) + "\n"


def _figures(base: dict[str, str], last: RoundSummary) -> list[tuple[str, str, str, list]]:
    one = [("examday_p95_milliseconds", "request latency p95 (DUR-LAT-01)", last.p95_ms),
           ("examday_error_ratio", "share of requests answered 5xx (DUR-ERR-01)", last.error_rate),
           ("examday_pool_usage_ratio", "share of the backend's pooled connections in use (DUR-SYS-01)",
            last.pool_usage)]
    families = [(name, "gauge", text, [(base, value)]) for name, text, value in one if value is not None]
    for name, text, values in (("examday_container_cpu_percent", "CPU per container, % of its limit", last.cpu_pct),
                               ("examday_container_memory_percent", "memory per container, % of its limit",
                                last.memory_pct)):
        families.append((name, "gauge", text, [({**base, "container": c}, v) for c, v in values.items()]))
    return families


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


def _escape(value: str) -> str:
    """The text format's label escapes: backslash, double quote, line feed."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def write_textfile(path: Path, text: str) -> None:
    """For node_exporter's textfile collector: written beside, then renamed over (atomic)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


class MetricsServer:
    """GET /metrics on a local address, answering the latest exposition; stopped with the watch."""

    def __init__(self, host: str, port: int) -> None:
        self.text = "# no round yet\n"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404, "only /metrics here")
                    return
                body = server.text.encode()
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet: the live table owns the terminal
                return

        self._http = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, name="examday-metrics", daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._http.server_address[:2]
        return str(host), int(port)

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


class RoundPublisher:
    """After every round: the exposition to the server and/or the textfile; closed with the watch."""

    def __init__(self, info: WatchInfo, server: MetricsServer | None = None, textfile: Path | None = None) -> None:
        self.info, self.server, self.textfile = info, server, textfile

    def __call__(self, rounds: list[RoundSummary]) -> None:
        text = exposition(self.info, rounds)
        if self.server is not None:
            self.server.text = text
        if self.textfile is not None:
            write_textfile(self.textfile, text)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def listen_address(text: str) -> tuple[str, int]:
    """HOST:PORT (or :PORT, on 127.0.0.1); ValueError saying what is wrong."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 for a Prometheus "
                         "in a container)")
    return host.strip("[]") or "127.0.0.1", int(port)
