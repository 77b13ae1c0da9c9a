"""The load generator's capacity on one core, next to wrk on the same endpoint, in the same command.

    .venv/bin/python bench/bench_load.py [--rounds 3] [--connections 50] [--seconds 3]

One HTTP server on 127.0.0.1 answers every request with a fixed 15-byte JSON
body (uvloop, its own process, pinned to the last core so it is not the
bottleneck: its CPU share during each client run is reported). Then, in turns
(so a noisy machine slows both alike), each client runs pinned to core 0:

  wrk        ``wrk -t1 -c N -d Ds``: closed loop, as fast as the server answers
  examday    ``run_requests`` with N connections: open loop (``constant_rate``) at rising
             arrival rates until it no longer keeps its schedule, halving the step between the
             last rate kept and the first missed; then closed loop (every request due at once)

A rate is *kept* when every request got its 2xx, the answered rate is within 1%
of the offered one, and the generator's own lateness (send time minus
scheduled time) stays under LAG_LIMIT_MS at p99, in one of two tries (a
neighbour taking the core for a moment is not the generator's limit). At a
kept rate the latencies it reports, counted from the scheduled send times,
are right to within that lateness.

Two figures, because a shared machine makes wall-clock rates noisy:
  wall   the generator's highest kept rate over wrk's requests per second (and, like for like,
         its closed-loop rate over wrk's)
  CPU    requests per CPU-second (user + system) of each client, closed loop: what one
         whole core would carry, whatever else ran beside it
Medians over the rounds. Written to bench/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop

from examday.rehearsal import (
    FixedRequest,
    Limits,
    LoadResult,
    constant_rate,
    resolve_target,
    run_requests,
)

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
LAG_LIMIT_MS = 10.0
START_RATE = 5_000
GROWTH = 1.25
REFINEMENTS = 3
PATH = "/health"
ANSWER = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"ok"}'


# --- the server ------------------------------------------------------------------------------------

class FixedAnswer(asyncio.Protocol):
    """One fixed answer per request head (no request in these runs has a body)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        data = self.pending + data
        heads = data.count(b"\r\n\r\n")
        self.pending = data[data.rfind(b"\r\n\r\n") + 4:] if heads else data
        if heads:
            self.transport.write(ANSWER * heads)  # type: ignore[attr-defined]


def serve(core: int) -> None:
    os.sched_setaffinity(0, {core})

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(FixedAnswer, "127.0.0.1", 0, backlog=4096)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    uvloop.run(main())


# --- the generator (child process, core 0) ------------------------------------------------------------

def generate(base_url: str, connections: int, seconds: float, start_rate: int) -> None:
    """Child process: search the highest kept rate, print the probes as one JSON line."""
    os.sched_setaffinity(0, {0})
    target = resolve_target(base_url)
    request = FixedRequest("GET", PATH)
    limits = Limits(concurrency=connections, max_requests=10_000_000, max_duration_s=seconds * 4 + 10)

    def measured(send_at: list[float]) -> tuple[LoadResult, float]:
        cpu = time.process_time()
        result = run_requests(target, send_at, request, limits=limits, progress=False)
        return result, time.process_time() - cpu

    def probe(rate: float) -> dict:
        for _ in range(2):  # kept in either try: a neighbour's burst on the core is not our limit
            result, cpu_s = measured(constant_rate(rate, seconds))
            kept = (result.outcomes["2xx"] == result.planned and result.throughput_rps >= 0.99 * rate
                    and (result.send_lag_p99_ms or 0) <= LAG_LIMIT_MS)
            if kept:
                break
        return {"rate": round(rate), "kept": kept, "answered_per_s": round(result.throughput_rps),
                "send_lag_p50_ms": result.send_lag_p50_ms, "send_lag_p99_ms": result.send_lag_p99_ms,
                "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "errors": result.errors,
                "cpu_share": round(cpu_s / result.duration_s, 3), "per_cpu_second": round(result.sent / cpu_s)}

    probes = _search(probe, start_rate)
    best = max((p["rate"] for p in probes if p["kept"]), default=0)
    saturated, cpu_s = measured([0.0] * max(100_000, int(best * seconds)))
    print(json.dumps({"kept_rate": best, "probes": probes, "closed_loop_rps": round(saturated.throughput_rps),
                      "closed_loop_per_cpu_second": round(saturated.sent / cpu_s)}))


def _search(probe, start_rate: int) -> list[dict]:
    """Rising rates until one is missed, then REFINEMENTS halvings between the last kept and the missed."""
    probes, rate, low, high = [], float(start_rate), 0.0, 0.0
    for _ in range(40):  # bounded: 5k * 1.25^40 is far beyond any machine
        probes.append(probe(rate))
        print(f"    {probes[-1]['rate']:>7,}/s: {'kept' if probes[-1]['kept'] else 'missed'} "
              f"(lag p99 {probes[-1]['send_lag_p99_ms']} ms, CPU {probes[-1]['cpu_share']:.0%})",
              file=sys.stderr, flush=True)
        if not probes[-1]["kept"]:
            high = rate
            break
        low, rate = rate, rate * GROWTH
    for _ in range(REFINEMENTS if high else 0):
        rate = (low + high) / 2
        probes.append(probe(rate))
        print(f"    {probes[-1]['rate']:>7,}/s: {'kept' if probes[-1]['kept'] else 'missed'}", file=sys.stderr,
              flush=True)
        low, high = (rate, high) if probes[-1]["kept"] else (low, rate)
    return probes


# --- the parent ------------------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(wrk: str, url: str, connections: int, seconds: int) -> dict:
    """wrk's requests per second, and per CPU-second of its own (its rusage: taskset execs it in place)."""
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(["taskset", "-c", "0", wrk, "-t1", f"-c{connections}", f"-d{seconds}s", url],
                                   stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    if process.returncode or rate is None or total is None or "Non-2xx" in text or "Socket errors" in text:
        raise SystemExit(f"wrk did not run cleanly:\n{text}")
    return {"rps": float(rate.group(1)), "per_cpu_second": round(int(total.group(1)) / (usage.ru_utime + usage.ru_stime))}


def run_generator(url: str, connections: int, seconds: float, start_rate: int) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--generate", url, "--connections", str(connections),
            "--seconds", str(seconds), "--start-rate", str(start_rate)]
    out = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, text=True, check=True, timeout=900).stdout
    return json.loads(out.strip().splitlines()[-1])


def timed_against(server_pid: int, action):
    """The action's result and the server's CPU share while it ran."""
    cpu, started = cpu_seconds(server_pid), time.perf_counter()
    result = action()
    return result, round((cpu_seconds(server_pid) - cpu) / (time.perf_counter() - started), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start-rate", type=int, default=START_RATE, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(core=os.cpu_count() - 1 if os.cpu_count() else 0)
        return
    if args.generate:
        generate(args.generate, args.connections, args.seconds, args.start_rate)
        return
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian package wrk): the baseline cannot run")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs two cores: one for the server, one for the client under test")
    server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve"], stdout=subprocess.PIPE,
                              text=True)
    try:
        base_url = f"http://127.0.0.1:{int(server.stdout.readline())}"  # type: ignore[union-attr]
        result = compare(wrk, base_url, server.pid, args)
    finally:
        server.kill()
        server.wait(timeout=10)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wall: examday {result['examday_kept_rate_median']:,}/s (open loop, schedule kept), wrk "
          f"{result['wrk_rps_median']:,}/s: ratio {result['ratio_wall_examday_kept_over_wrk']} (closed loop "
          f"{result['examday_closed_loop_rps_median']:,}/s: {result['ratio_wall_closed_loop_examday_over_wrk']})\n"
          f"CPU:  examday {result['examday_closed_loop_per_cpu_second_median']:,}/CPU-s, wrk "
          f"{result['wrk_per_cpu_second_median']:,}/CPU-s: ratio {result['ratio_cpu_examday_over_wrk']}", flush=True)


def compare(wrk: str, base_url: str, server_pid: int, args: argparse.Namespace) -> dict:
    """Alternate wrk and the generator, both against GET {base_url}/health."""
    url = f"{base_url}{PATH}"
    rounds: list[dict] = []
    start_rate = START_RATE
    print(f"server {url} (pid {server_pid}); load average {os.getloadavg()[0]:.2f}", flush=True)
    for number in range(1, args.rounds + 1):
        baseline, wrk_server_cpu = timed_against(server_pid, lambda: run_wrk(wrk, url, args.connections,
                                                                             round(args.seconds)))
        print(f"round {number}/{args.rounds}: wrk {baseline['rps']:,.0f}/s, {baseline['per_cpu_second']:,}/CPU-s "
              f"(server CPU {wrk_server_cpu:.0%}); examday:", flush=True)
        generated, gen_server_cpu = timed_against(
            server_pid, functools.partial(run_generator, base_url, args.connections, args.seconds, start_rate))
        rounds.append({"wrk_rps": round(baseline["rps"]), "wrk_per_cpu_second": baseline["per_cpu_second"],
                       "wrk_server_cpu_share": wrk_server_cpu, "examday_server_cpu_share": gen_server_cpu,
                       **generated})
        print(f"round {number}/{args.rounds}: examday kept {generated['kept_rate']:,}/s open loop; closed loop {generated['closed_loop_rps']:,}/s,"
              f" {generated['closed_loop_per_cpu_second']:,}/CPU-s", flush=True)
        start_rate = max(START_RATE, int(generated["kept_rate"] / GROWTH**3))  # start the next search nearer
    return summarise(rounds, args)


def summarise(rounds: list[dict], args: argparse.Namespace) -> dict:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    return {
        "connections": args.connections,
        "seconds_per_run": args.seconds,
        "lag_limit_ms": LAG_LIMIT_MS,
        "cpu": _cpu_name(),
        "python": sys.version.split()[0],
        "load_average_at_end": round(os.getloadavg()[0], 2),
        "wrk_rps_median": round(median("wrk_rps")),
        "examday_kept_rate_median": round(median("kept_rate")),
        "ratio_wall_examday_kept_over_wrk": round(median("kept_rate") / median("wrk_rps"), 2),
        "wrk_per_cpu_second_median": round(median("wrk_per_cpu_second")),
        "examday_closed_loop_per_cpu_second_median": round(median("closed_loop_per_cpu_second")),
        "ratio_cpu_examday_over_wrk": round(median("closed_loop_per_cpu_second") / median("wrk_per_cpu_second"), 2),
        "examday_closed_loop_rps_median": round(median("closed_loop_rps")),
        "ratio_wall_closed_loop_examday_over_wrk": round(median("closed_loop_rps") / median("wrk_rps"), 2),
        "rounds": rounds,
    }


def _cpu_name() -> str:
    for row in Path("/proc/cpuinfo").read_text().splitlines():
        if row.startswith("model name"):
            return row.split(":", 1)[1].strip()
    return "unknown"


if __name__ == "__main__":
    main()
