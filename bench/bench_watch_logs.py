"""Time a watch round's backend log read: the full re-read through the API vs the incremental window.

    .venv/bin/python bench/bench_watch_logs.py [--lines 1000000] [--new-lines 1000] [--seed 2026]

A scratch container (json-file log driver, no rotation) prints bench/bench_logs.py's platform-shaped
log (``--lines`` lines). Then, in one run, on that container:

  api        today's read of the window: ``DockerProbe.logs`` (the engine's API) + ``analyze_lines``
  first      the watch's first round: the json-file log read directly, kept as per-minute analysers
  second     the next round, after ``--new-lines`` more lines: only those read, the minutes folded
  re-read    the full API read again, over the same window as the second round

The window is as long as the log (its lines carry 2026-11-28 times; docker's own are now). The run
fails unless the incremental rounds count the same lines as the full reads. Results land in
bench/results/watch_logs.json. The scratch container is removed at the end, on failure too.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import docker

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "watch_logs.json"
IMAGE = "examday-sandbox/base:bookworm"
LOG_STARTS = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.timezone.utc)  # before bench_logs's first line

sys.path.insert(0, str(REPO / "src"))
from examday.facts.log_analysis import LogSettings, LogSummary, analyze_lines  # noqa: E402
from examday.facts.log_window_state import windowed_summary  # noqa: E402
from examday.probes.docker import DockerProbe  # noqa: E402


def bench_logs() -> Any:
    spec = importlib.util.spec_from_file_location("bench_logs", REPO / "bench" / "bench_logs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for_lines(container: Any, lines: int) -> None:
    """Until the container's json-file log holds ``lines`` lines (progress on the way)."""
    path = container.attrs["LogPath"]
    shown = time.monotonic()
    while True:
        count = int(subprocess.run(["wc", "-l", path], capture_output=True, text=True, check=True).stdout.split()[0])
        if count >= lines:
            print(f"  the container has printed {count:,} lines", flush=True)
            return
        if time.monotonic() - shown > 3:
            print(f"  the container has printed {count:,} / {lines:,} lines", flush=True)
            shown = time.monotonic()
        time.sleep(0.5)


def timed(what: str, action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"  {what}: {seconds:.2f} s", flush=True)
    return seconds, result


def api_read(probe: DockerProbe, name: str, settings: LogSettings, minutes: float) -> LogSummary:
    """What recent_log_summary does today."""
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes)
    return analyze_lines(probe.logs(name, since=since, max_line_bytes=settings.max_line_bytes), settings, since=since)


def differing(incremental: LogSummary, full: LogSummary) -> list[str]:
    """The summary fields that differ (the window's start and the read's source apart)."""
    return [field.name for field in dataclasses.fields(LogSummary) if field.name not in ("since", "source")
            and getattr(incremental, field.name) != getattr(full, field.name)]


def run(container: Any, args: argparse.Namespace, state: Path) -> dict[str, Any]:
    probe = DockerProbe(timeout=60)
    settings = LogSettings.from_config()
    minutes = (dt.datetime.now(dt.timezone.utc) - LOG_STARTS).total_seconds() / 60
    name = container.name
    api_s, full = timed("today's API read + analysis of the window", lambda: api_read(probe, name, settings, minutes))
    first_s, first = timed("first round (json-file, kept per minute)",
                           lambda: windowed_summary(probe, name, settings, minutes, state))
    container.exec_run(["sh", "-c", f"head -n {args.new_lines} /log/backend.log > /proc/1/fd/1"])
    wait_for_lines(container, args.lines + args.new_lines)
    second_s, second = timed(f"second round after {args.new_lines:,} new lines",
                             lambda: windowed_summary(probe, name, settings, minutes, state))
    reread_s, reread = timed("full API re-read of the same window", lambda: api_read(probe, name, settings, minutes))
    if first.lines != full.lines or second.lines != reread.lines:
        raise SystemExit(f"line counts disagree: first {first.lines} vs {full.lines}, second {second.lines} vs "
                         f"{reread.lines}")
    return {
        "lines_in_window": full.lines, "new_lines": args.new_lines,
        "api_read_s": round(api_s, 3), "first_round_s": round(first_s, 3), "second_round_s": round(second_s, 3),
        "api_reread_s": round(reread_s, 3),
        "ratio_api_over_first_round": round(api_s / first_s, 2),
        "ratio_reread_over_second_round": round(reread_s / second_s, 1),
        "lines_first_vs_full": [first.lines, full.lines], "lines_second_vs_reread": [second.lines, reread.lines],
        "fields_differing_first": differing(first, full), "fields_differing_second": differing(second, reread),
        "first_round_source": first.source, "second_round_source": second.source,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--new-lines", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    client = docker.from_env(timeout=120)
    with tempfile.TemporaryDirectory(prefix="examday-bench-watch-logs-") as scratch:
        log = Path(scratch) / "backend.log"
        print(f"writing {args.lines:,} platform-shaped lines", flush=True)
        bench_logs().generate_log(log, args.lines, args.seed)
        container = client.containers.run(
            IMAGE, ["sh", "-c", "cat /log/backend.log; exec sleep 3600"], detach=True, network_mode="none",
            name=f"examday-bench-watchlogs-{uuid.uuid4().hex[:6]}", volumes={scratch: {"bind": "/log", "mode": "ro"}},
            log_config={"type": "json-file", "config": {}})
        try:
            container.reload()
            wait_for_lines(container, args.lines)
            results = run(container, args, Path(scratch) / "state")
        finally:
            container.remove(force=True)
    results["date"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
