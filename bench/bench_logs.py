"""Time examday's log analyzer against jq computing the same p95 and error rate on the same log.

    .venv/bin/python bench/bench_logs.py [--lines 1000000] [--rounds 3] [--seed 2026] [--log PATH]

A deterministic (seeded) backend log in the platform's shapes is written
first: request.start/request.end pairs, sampled /health-style lines, slow
requests carrying a severity, slow_sql events, uvicorn's plain "INFO:" lines,
the odd traceback and a handful of cut JSON lines. Then, in turns (so a
noisy machine slows both alike), each side reads the whole file on one core:

  examday  ``LogAnalyzer.feed_blocks`` over the file read in blocks of bytes, in a fresh interpreter
  jq       bench/logs_jq.jq: the same two numbers, non-JSON lines skipped safely

Both are timed as whole processes (interpreter start and imports included).
The result is the ratio of median throughputs, examday / jq. The run fails
unless both sides agree: p95 within 1% (the histogram keeps three
significant digits) and the error rate to 1e-6. Peak memory of the analyzer
is measured on the first 100,000 lines and on the whole file, to show it
does not grow with the input. Figures are written to bench/results/logs.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JQ_PROGRAM = REPO / "bench" / "logs_jq.jq"
RESULTS = REPO / "bench" / "results"
MEMORY_SMALL_LINES = 100_000

# --- the log --------------------------------------------------------------------------------------

# (method, route template, weight, typical ms): what an exam backend serves on exam day.
ROUTES = [
    ("POST", "/api/v1/sessions/{id}/answers", 40, 18),
    ("GET", "/api/v1/sessions/{id}", 14, 12),
    ("GET", "/api/v1/sessions/{id}/questions/{n}", 18, 15),
    ("POST", "/api/v1/sessions/{id}/review", 4, 14),
    ("POST", "/api/v1/sessions/{id}/submit", 2, 90),
    ("POST", "/api/v1/sessions", 2, 60),
    ("POST", "/api/v1/auth/login", 2, 120),
    ("GET", "/api/v1/auth/me", 6, 6),
    ("GET", "/api/v1/exams/{id}", 3, 9),
    ("GET", "/api/v1/ready", 2, 4),
]
ROUTE_WEIGHTS = [weight for _, _, weight, _ in ROUTES]
# The high-volume paths, already thinned to a 10% sample by the backend.
SAMPLED = [("GET", "/health"), ("GET", "/metrics"), ("GET", "/v1/health"), ("GET", "/")]
SLOW_SQL = [
    "SELECT * FROM session_answers WHERE session_id = '{id}' ORDER BY question_id",
    "UPDATE test_sessions SET status = 'SUBMITTED', submitted_at = now() WHERE id = '{id}'",
    "INSERT INTO attempt_events (event_type, session_id, seq) VALUES ('ANSWER_SAVED', '{id}', {n})",
]
TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/app/app/api/sessions.py", line 212, in submit_session',
    "    await scoring.score(session)",
    '  File "/app/app/services/scoring.py", line 88, in score',
    "    raise ScoringError(session.id)",
    "app.services.scoring.ScoringError: session could not be scored",
]
UVICORN = [
    'INFO:     172.18.0.7:{port} - "{method} {path} HTTP/1.1" {status} OK',
    'INFO:     172.18.0.7:{port} - "GET /health HTTP/1.1" 200 OK',
    "WARNING:  Invalid HTTP request received.",
]


def _status(rng: random.Random, method: str) -> int:
    roll = rng.random()
    if roll < 0.005:
        return rng.choice((500, 500, 502, 503))
    if roll < 0.008:
        return 429
    if roll < 0.018:
        return rng.choice((400, 401, 403, 404, 404, 409, 422))
    if roll < 0.025 and method == "GET":
        return 304
    return 201 if method == "POST" and roll > 0.9 else 200


def generate_log(path: Path, lines: int, seed: int) -> dict[str, int]:
    """Write ``lines`` log lines to ``path``; return what was written, by kind."""
    rng = random.Random(seed)
    moment = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    written = {"request_pairs": 0, "sampled_pairs": 0, "slow_sql": 0, "other_events": 0,
               "uvicorn": 0, "traceback": 0, "truncated": 0}
    count = 0
    step = max(lines // 10, 1)
    next_report = step
    dumps = json.dumps
    with path.open("w", encoding="utf-8", newline="\n") as out:
        buffer: list[str] = []

        def emit(text: str) -> None:
            nonlocal count
            buffer.append(text)
            count += 1

        while count < lines:
            if len(buffer) >= 10_000:  # only whole, wanted lines are ever written here
                out.write("\n".join(buffer) + "\n")
                buffer.clear()
            moment += timedelta(microseconds=rng.randrange(200, 4000))
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            roll = rng.random()
            request_id = f"{rng.getrandbits(128):032x}"
            request_id = f"{request_id[:8]}-{request_id[8:12]}-4{request_id[13:16]}-8{request_id[17:20]}-{request_id[20:]}"
            if roll < 0.020:  # uvicorn's own access and warning lines
                method, template, _, _ = rng.choices(ROUTES, ROUTE_WEIGHTS)[0]
                emit(rng.choice(UVICORN).format(port=rng.randrange(30000, 60000), method=method,
                                                path=template.replace("{id}", "1").replace("{n}", "2"), status=200))
                written["uvicorn"] += 1
                continue
            if roll < 0.0203:  # an unhandled error's traceback
                for text in TRACEBACK:
                    emit(text)
                written["traceback"] += 1
                continue
            if roll < 0.0223:  # slow_sql events
                ms = round(rng.uniform(100, 450), 1)
                statement = rng.choice(SLOW_SQL).format(id=request_id, n=rng.randrange(1, 200))
                emit(dumps({"request_id": request_id, "statement": statement, "duration_ms": ms,
                            "event": "slow_sql", "level": "error" if ms > 300 else "warning", "timestamp": stamp}))
                written["slow_sql"] += 1
                continue
            if roll < 0.0423:  # other application events
                emit(dumps({"request_id": request_id, "session_id": request_id, "question_id": rng.randrange(1, 5000),
                            "event": rng.choice(("answer.saved", "session.heartbeat", "cache.miss")),
                            "level": "info", "timestamp": stamp}))
                written["other_events"] += 1
                continue
            sampled = roll < 0.0923
            if sampled:
                method, route = rng.choice(SAMPLED)
                path_text = route if rng.random() > 0.05 else route + "?full=1"
                ms = rng.randrange(0, 4)
                status = 200 if rng.random() > 0.01 else 503
            else:
                method, template, _, typical = rng.choices(ROUTES, ROUTE_WEIGHTS)[0]
                route = template
                path_text = template.replace("{id}", request_id).replace("{n}", str(rng.randrange(1, 60)))
                status = _status(rng, method)
                ms = int(rng.lognormvariate(0, 0.6) * typical)
                if rng.random() < 0.004:  # a request stuck behind a lock or a slow query
                    ms = rng.randrange(400, 4000)
            start = {"request_id": request_id, "method": method, "path": path_text, "route": None,
                     "event": "request.start", "level": "info", "timestamp": stamp}
            emit(dumps(start))
            moment += timedelta(milliseconds=ms)
            end = {"request_id": request_id, "method": method, "path": path_text, "route": route,
                   "status_code": status, "duration_ms": ms, "db_query_count": rng.randrange(0, 6),
                   "db_total_ms": ms // 3, "event": "request.end", "level": "info",
                   "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
            if ms > 1500:
                end["severity"] = "error"
                end["level"] = "error"
            elif ms > 500:
                end["severity"] = "warn"
                end["level"] = "warning"
            text = dumps(end)
            if rng.random() < 0.00005:  # the process died mid-write
                text = text[: rng.randrange(20, len(text) - 1)]
                written["truncated"] += 1
            emit(text)
            written["sampled_pairs" if sampled else "request_pairs"] += 1
            if count >= next_report:
                print(f"  generated {min(count, lines):,} / {lines:,} lines", flush=True)
                next_report += step
        out.write("\n".join(buffer[: len(buffer) - (count - lines)]) + "\n")
    return written


# --- the two sides ----------------------------------------------------------------------------------

def run_examday_worker(log: Path, limit: int | None, trace: bool) -> None:
    """Child process: analyse the log, print the figures as one JSON line."""
    from examday.facts.log_analysis import BLOCK_BYTES, LogAnalyzer

    rss_before_kib = _proc_status_kib("VmRSS")
    if trace:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    with log.open("rb", buffering=0) as handle:  # read in blocks: no buffer of the file object's own
        blocks = iter(lambda: handle.read(BLOCK_BYTES), b"")
        summary = LogAnalyzer().feed_blocks(blocks if limit is None else _first_lines(blocks, limit)).summary()
    elapsed = time.perf_counter() - started
    traced_peak = None
    if trace:
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps({
        "analysis_s": elapsed,
        "rss_before_kib": rss_before_kib,
        "rss_after_kib": _proc_status_kib("VmRSS"),
        "peak_rss_kib": _proc_status_kib("VmHWM"),
        "python_heap_peak_bytes": traced_peak,
        "lines": summary.lines,
        "requests": summary.requests,
        "sampled_requests": summary.sampled_requests,
        "p95_ms": summary.latency.p95_ms if summary.latency else None,
        "error_rate": summary.error_rate,
        "server_errors": summary.server_errors,
        "rate_limited": summary.rate_limited,
        "skipped": summary.skipped,
    }))


def _first_lines(blocks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """The blocks up to the end of the limit-th line (its newline included)."""
    for block in blocks:
        newlines = block.count(b"\n")
        if newlines < limit:
            limit -= newlines
            yield block
            continue
        cut = -1
        for _ in range(limit):
            cut = block.index(b"\n", cut + 1)
        yield block[: cut + 1]
        return


def run_measured(argv: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS (KiB) and stdout of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{Path(argv[0]).name} failed ({process.returncode}): "
                             f"{err.read().decode(errors='replace')[-2000:]}")
        return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out.read().decode()


def examday_argv(log: Path, limit: int | None = None, trace: bool = False) -> list[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", str(log)]
    if limit is not None:
        argv += ["--limit", str(limit)]
    if trace:
        argv.append("--trace")
    return argv


def jq_argv(jq: str, log: Path) -> list[str]:
    return [jq, "-n", "-R", "-c", "-f", str(JQ_PROGRAM), str(log)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--log", type=Path, help="write the generated log here and keep it (reused if it exists)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        run_examday_worker(args.worker, args.limit, args.trace)
        return
    jq = shutil.which("jq")
    if jq is None:
        raise SystemExit("jq is not installed: the baseline cannot run")
    jq_version = subprocess.run([jq, "--version"], capture_output=True, text=True, check=False).stdout.strip()

    with tempfile.TemporaryDirectory(prefix="examday-bench-logs-") as scratch:
        log = args.log or Path(scratch) / "backend.log"
        if args.log and args.log.exists():
            print(f"reusing {log}", flush=True)
            written = None
        else:
            print(f"generating {args.lines:,} log lines (seed {args.seed}) into {log}", flush=True)
            started = time.perf_counter()
            written = generate_log(log, args.lines, args.seed)
            print(f"  done in {time.perf_counter() - started:.1f} s: {written}", flush=True)
        size = log.stat().st_size
        with log.open("rb") as handle:
            lines = sum(1 for _ in handle)
        print(f"log: {lines:,} lines, {size / 1e6:.0f} MB", flush=True)

        wall: dict[str, list[float]] = {"examday": [], "jq": []}
        cpu: dict[str, list[float]] = {"examday": [], "jq": []}
        outputs: dict[str, dict] = {}
        jq_rss = 0
        for round_number in range(1, args.rounds + 1):
            for side, argv in (("jq", jq_argv(jq, log)), ("examday", examday_argv(log))):
                elapsed, cpu_s, rss, out = run_measured(argv)
                wall[side].append(elapsed)
                cpu[side].append(cpu_s)
                outputs[side] = json.loads(out)
                if side == "jq":
                    jq_rss = max(jq_rss, rss)
            print(f"round {round_number}/{args.rounds}: "
                  f"jq {wall['jq'][-1]:.2f} s ({lines / wall['jq'][-1]:,.0f} lines/s), "
                  f"examday {wall['examday'][-1]:.2f} s ({lines / wall['examday'][-1]:,.0f} lines/s; "
                  f"analysis alone {outputs['examday']['analysis_s']:.2f} s)", flush=True)
        examday_out, jq_out = outputs["examday"], outputs["jq"]

        # Both must have computed the same thing, or the timing means nothing.
        p95_examday, p95_jq = examday_out["p95_ms"], jq_out["p95_ms"]
        problems = []
        if examday_out["requests"] != jq_out["requests"]:
            problems.append(f"requests: examday {examday_out['requests']} != jq {jq_out['requests']}")
        if p95_examday is None or p95_jq is None or abs(p95_examday - p95_jq) > 0.01 * max(p95_jq, 1e-9):
            problems.append(f"p95: examday {p95_examday} ms vs jq {p95_jq} ms (more than 1% apart)")
        if (examday_out["error_rate"] is None or jq_out["error_rate"] is None
                or abs(examday_out["error_rate"] - jq_out["error_rate"]) > 1e-6):
            problems.append(f"error rate: examday {examday_out['error_rate']} vs jq {jq_out['error_rate']}")
        if problems:
            raise SystemExit("examday and jq disagree:\n  " + "\n  ".join(problems))
        print(f"agreed: {examday_out['requests']:,} requests, p95 {p95_examday} ms (jq {p95_jq} ms), "
              f"error rate {examday_out['error_rate']:.6f}", flush=True)

        print(f"memory: the analyzer over the first {MEMORY_SMALL_LINES:,} lines, then all {lines:,}", flush=True)
        memory = {}
        for label, limit in (("first_100k_lines", MEMORY_SMALL_LINES), ("all_lines", None)):
            _, _, _, out = run_measured(examday_argv(log, limit))
            _, _, _, traced = run_measured(examday_argv(log, limit, trace=True))
            report = json.loads(out)
            heap = json.loads(traced)["python_heap_peak_bytes"]
            memory[label] = {"lines": report["lines"], "rss_before_first_line_kib": report["rss_before_kib"],
                             "peak_rss_kib": report["peak_rss_kib"], "rss_at_end_kib": report["rss_after_kib"],
                             "python_heap_peak_while_analysing_bytes": heap}
            print(f"  {report['lines']:,} lines: peak RSS {report['peak_rss_kib'] / 1024:.1f} MiB "
                  f"(interpreter and imports before the first line: {report['rss_before_kib'] / 1024:.1f} MiB), "
                  f"Python heap peak while analysing {heap / 1024:.0f} KiB",
                  flush=True)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    result = {
        "lines": lines,
        "log_bytes": size,
        "seed": args.seed,
        "generated": written,
        "rounds": args.rounds,
        "cpu": _cpu_name(),
        "python": sys.version.split()[0],
        "jq": jq_version,
        "examday_median_wall_s": round(median(wall["examday"]), 3),
        "jq_median_wall_s": round(median(wall["jq"]), 3),
        "examday_lines_per_s": round(lines / median(wall["examday"])),
        "jq_lines_per_s": round(lines / median(wall["jq"])),
        "ratio_examday_over_jq": round(median(wall["jq"]) / median(wall["examday"]), 2),
        "examday_median_cpu_s": round(median(cpu["examday"]), 3),
        "jq_median_cpu_s": round(median(cpu["jq"]), 3),
        "ratio_examday_over_jq_cpu": round(median(cpu["jq"]) / median(cpu["examday"]), 2),
        "examday_analysis_only_s_last_round": round(examday_out["analysis_s"], 3),
        "wall_s": {side: [round(value, 3) for value in values] for side, values in wall.items()},
        "cpu_s": {side: [round(value, 3) for value in values] for side, values in cpu.items()},
        "jq_peak_rss_kib": jq_rss,
        "agreement": {
            "requests": examday_out["requests"],
            "p95_ms_examday": p95_examday,
            "p95_ms_jq": p95_jq,
            "error_rate_examday": examday_out["error_rate"],
            "error_rate_jq": jq_out["error_rate"],
            "server_errors_5xx": examday_out["server_errors"],
            "rate_limited_429": examday_out["rate_limited"],
            "sampled_requests": examday_out["sampled_requests"],
            "skipped": examday_out["skipped"],
        },
        "examday_memory": memory,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "logs.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"examday {result['examday_lines_per_s']:,} lines/s, jq {result['jq_lines_per_s']:,} lines/s: "
          f"examday is {result['ratio_examday_over_jq']}x jq (CPU time: {result['ratio_examday_over_jq_cpu']}x)",
          flush=True)


def _proc_status_kib(field: str) -> int:
    """VmRSS (resident now) or VmHWM (the peak so far) of this process, in KiB (0 off Linux)."""
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith(field + ":"):
                return int(row.split()[1])
    except OSError:
        pass
    return 0


def _cpu_name() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()
