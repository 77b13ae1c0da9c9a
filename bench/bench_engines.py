"""The two load engines on the same endpoint, each against wrk, in one command: requests per CPU-second.

    .venv/bin/python bench/bench_engines.py [--rounds 3] [--connections 50] [--seconds 4]

The endpoint is bench_load.py's: one server process on 127.0.0.1 (pinned to the last core) answering
every request with a fixed 15-byte JSON body. In turns (a noisy machine slows all alike), each client
pinned to core 0 runs closed loop, as fast as the server answers:

  wrk      ``wrk -t1 -c N``
  examday  the built-in engine (``run_requests``, N connections, every request due at once)
  locust   the Locust engine: a master and 2 local worker processes, N users of FixedPathUser
           (GET /health in a loop), started by examday as in a drill

CPU-seconds are user + system of the client's processes (for Locust: the master and both workers,
from the rusage of their parent). Each engine's figure is a ratio to wrk's of the same round;
medians over the rounds. Written to bench/results/engines.json. Loads go only to 127.0.0.1, each
bounded in time (--seconds) and count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import PATH, RESULTS, _cpu_name, run_wrk  # noqa: E402 - the same endpoint and wrk run

WORKERS = 2


def builtin(base_url: str, connections: int, seconds: float) -> dict:
    """Child: the built-in engine closed loop; about `seconds` of requests at the rate it reaches."""
    from examday.rehearsal import FixedRequest, Limits, resolve_target, run_requests

    target, count = resolve_target(base_url), int(40_000 * seconds)
    limits = Limits(concurrency=connections, max_requests=count, max_duration_s=seconds * 4 + 10)
    cpu = time.process_time()
    result = run_requests(target, [0.0] * count, FixedRequest("GET", PATH), limits=limits, progress=False)
    return {"requests": result.outcomes["2xx"], "errors": result.error_count, "cpu_s": time.process_time() - cpu,
            "wall_s": result.duration_s}


def locust(base_url: str, connections: int, seconds: float) -> dict:
    """Child: the Locust engine (master + workers, its children) for `seconds`; their CPU from rusage."""
    from examday.rehearsal.locust.engine import LocustEngine
    from examday.rehearsal.locust.job import LocustJob

    job = LocustJob(base_url=base_url, workers=WORKERS, max_requests=10_000_000, max_duration_s=seconds,
                    timeout_s=5.0, fixed_path=PATH, lead_s=1.0)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = LocustEngine(processes=WORKERS).run(job, "FixedPathUser", connections, planned=0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"requests": result.outcomes["2xx"], "errors": result.error_count, "cpu_s": cpu,
            "wall_s": result.duration_s, "workers": result.workers}


def run_child(engine: str, url: str, connections: int, seconds: float) -> dict:
    argv = ["taskset", "-c", "0", sys.executable, str(Path(__file__).resolve()), "--child", engine, url,
            "--connections", str(connections), "--seconds", str(seconds)]
    out = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True, timeout=300).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    if figures["errors"] or not figures["requests"]:
        raise SystemExit(f"{engine} did not run cleanly: {figures}")
    figures["per_cpu_second"] = round(figures["requests"] / figures["cpu_s"])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, url = args.child
        print(json.dumps((builtin if engine == "examday" else locust)(url, args.connections, args.seconds)))
        return
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian package wrk): the baseline cannot run")
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bench_load.py")), "--serve"],
                              stdout=subprocess.PIPE, text=True)
    try:
        base_url = f"http://127.0.0.1:{int(server.stdout.readline())}"  # type: ignore[union-attr]
        rounds = [one_round(wrk, base_url, args, number) for number in range(1, args.rounds + 1)]
    finally:
        server.kill()
        server.wait(timeout=10)
    result = summarise(rounds, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "engines.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}, indent=2))


def one_round(wrk: str, base_url: str, args: argparse.Namespace, number: int) -> dict:
    baseline = run_wrk(wrk, f"{base_url}{PATH}", args.connections, round(args.seconds))
    examday = run_child("examday", base_url, args.connections, args.seconds)
    on_locust = run_child("locust", base_url, args.connections, args.seconds)
    print(f"round {number}/{args.rounds}: wrk {baseline['per_cpu_second']:,}/CPU-s, examday "
          f"{examday['per_cpu_second']:,}/CPU-s, locust {on_locust['per_cpu_second']:,}/CPU-s", flush=True)
    return {"wrk_per_cpu_second": baseline["per_cpu_second"], "wrk_rps": round(baseline["rps"]),
            "examday": examday, "locust": on_locust,
            "examday_over_wrk": examday["per_cpu_second"] / baseline["per_cpu_second"],
            "locust_over_wrk": on_locust["per_cpu_second"] / baseline["per_cpu_second"]}


def summarise(rounds: list[dict], args: argparse.Namespace) -> dict:
    def median(pick) -> float:
        return statistics.median(pick(r) for r in rounds)

    return {
        "connections": args.connections, "seconds_per_run": args.seconds, "locust_workers": WORKERS,
        "cpu": _cpu_name(), "python": sys.version.split()[0], "load_average_at_end": round(os.getloadavg()[0], 2),
        "wrk_per_cpu_second_median": round(median(lambda r: r["wrk_per_cpu_second"])),
        "examday_per_cpu_second_median": round(median(lambda r: r["examday"]["per_cpu_second"])),
        "locust_per_cpu_second_median": round(median(lambda r: r["locust"]["per_cpu_second"])),
        "ratio_cpu_examday_over_wrk": round(median(lambda r: r["examday_over_wrk"]), 2),
        "ratio_cpu_locust_over_wrk": round(median(lambda r: r["locust_over_wrk"]), 3),
        "ratio_cpu_examday_over_locust": round(median(lambda r: r["examday_over_wrk"] / r["locust_over_wrk"]), 1),
        "rounds": rounds,
    }


if __name__ == "__main__":
    main()
