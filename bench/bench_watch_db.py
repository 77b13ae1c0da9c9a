"""What one watch round costs the production database, as the exam grows.

    .venv/bin/python bench/bench_watch_db.py [--small 1000] [--large 100000] [--answers 10] [--rounds 15]

A throwaway PostgreSQL 15 (the host's server binaries) gets the platform's schema
(tests/fixtures/platform_schema.sql) and `--small` sessions with `--answers` answers each.
Then, in turns, the database reads of a during round's drift check (DUR-DRF-01) are timed:

  round    what DUR-DRF-01 reads now (`configuration_now`): the migration head and the flag rows
  before   what it read until this bench (`take_baseline`): the row counts and every session's
           answer count, an aggregate over the whole exam

`--rounds` rounds of each, alternating; then the exam grows to `--large` sessions and the
same runs again. The figure is each side's median at the large size as a ratio to its median
at the small size, in the same command: 1.0 means a round costs the same whatever the exam's
size. The medians of the first and last third of the rounds show that a round does not grow
with the number of rounds either. Figures are written to bench/results/watch_db.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]

from examday.config import load_config  # noqa: E402
from examday.facts.baseline import MIGRATION_SQL, current_counts, flag_states  # noqa: E402
from examday.facts.losses import snapshot_sessions  # noqa: E402
from examday.probes.postgres import PostgresProbe  # noqa: E402
from tests.fixtures.ports import free_port  # noqa: E402
from tests.fixtures.services import POSTGRES_BIN, _port_open, _service_user, wait_until  # noqa: E402

RESULTS = REPO / "bench" / "results" / "watch_db.json"
SCHEMA = REPO / "tests" / "fixtures" / "platform_schema.sql"


@dataclass(frozen=True)
class Server:
    port: int
    sockets: Path

    def sql(self, statement: str) -> str:
        """As the superuser over the unix socket (setup only)."""
        return subprocess.run([str(POSTGRES_BIN / "psql"), "-h", str(self.sockets), "-p", str(self.port),
                               "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt", "-c", statement],
                              check=True, capture_output=True, text=True, timeout=600).stdout


@contextmanager
def throwaway_postgres() -> Iterator[Server]:
    """A PostgreSQL server in a temporary folder, removed afterwards."""
    owner = _service_user()
    root = Path(tempfile.mkdtemp(prefix="examday-bench-pg-"))
    data, sockets, port = root / "data", root / "sock", free_port()
    sockets.mkdir()
    as_owner: dict[str, Any] = {"user": owner[0], "group": owner[1]} if owner else {}
    if owner:
        for path in (root, sockets):
            os.chown(path, *owner)
    subprocess.run([str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"],
                   check=True, capture_output=True, timeout=120, **as_owner)
    server = subprocess.Popen([str(POSTGRES_BIN / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets),
                               "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_owner)
    try:
        wait_until(lambda: _port_open(port), 30, "PostgreSQL to listen")
        yield Server(port, sockets)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def add_sessions(server: Server, count: int, answers: int) -> None:
    """`count` more submitted sessions of one student each, with `answers` answers each."""
    server.sql(f"""
        WITH new_users AS (
          INSERT INTO users (email, password_hash)
          SELECT 'bench-' || gen_random_uuid() || '@exam.localhost', 'x' FROM generate_series(1, {count})
          RETURNING id),
        new_sessions AS (
          INSERT INTO test_sessions (user_id, mode, status, year, total_questions, submitted_at, score_correct,
                                     score_total, score_pct)
          SELECT id, 'EXAM', 'SUBMITTED', 1, {answers}, now(), 1, {answers}, 10 FROM new_users RETURNING id)
        INSERT INTO session_answers (session_id, question_id, selected_index, is_correct, answered_at)
        SELECT s.id, gen_random_uuid(), 1, true, now() FROM new_sessions s, generate_series(1, {answers});
        ANALYZE;""")


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def measure(probe: PostgresProbe, config: Any, rounds: int) -> dict[str, list[float]]:
    sides = {
        "round": lambda: (probe.scalar(MIGRATION_SQL), flag_states(probe, config)),
        "before": lambda: (current_counts(probe), snapshot_sessions(probe)),
    }
    for action in sides.values():
        action()  # warm-up: the connection, the plan cache and the pages, alike for both sides
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):  # alternating, so a noisy moment slows both alike
        for name, action in sides.items():
            times[name].append(timed(action))
    return times


def summary(times: list[float]) -> dict[str, float]:
    third = max(1, len(times) // 3)
    return {"median_ms": round(statistics.median(times), 2),
            "first_third_median_ms": round(statistics.median(times[:third]), 2),
            "last_third_median_ms": round(statistics.median(times[-third:]), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if not (POSTGRES_BIN / "initdb").exists():
        print(f"PostgreSQL server binaries not found in {POSTGRES_BIN} (set EXAMDAY_TEST_PG_BIN)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "examday.toml"
        target.write_text('[target]\nname = "bench"\nkind = "staging"\n[api]\nbase_url = "http://127.0.0.1:9"\n')
        config = load_config(target)
        with throwaway_postgres() as server:
            server.sql(SCHEMA.read_text() + "\nINSERT INTO alembic_version VALUES ('bench_head');"
                 "INSERT INTO system_flags (key, value) VALUES ('EXAM_MODE', true);")
            results: dict[str, Any] = {"sessions": {}, "answers_per_session": args.answers, "rounds": args.rounds}
            probe = PostgresProbe(f"host=127.0.0.1 port={server.port} dbname=postgres user=postgres",
                                  statement_timeout_ms=60_000)
            try:
                for label, size in (("small", args.small), ("large", args.large)):
                    print(f"[bench] {size:,} sessions with {args.answers} answers each ...", flush=True)
                    add_sessions(server, size - int(server.sql("SELECT count(*) FROM test_sessions")), args.answers)
                    times = measure(probe, config, args.rounds)
                    results["sessions"][label] = {"count": size, **{side: summary(t) for side, t in times.items()}}
            finally:
                probe.close()
    small, large = results["sessions"]["small"], results["sessions"]["large"]
    for side in ("round", "before"):
        results[f"{side}_large_over_small"] = round(large[side]["median_ms"] / small[side]["median_ms"], 2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"[bench] a during round's drift reads at {args.large:,} vs {args.small:,} sessions: "
          f"{results['round_large_over_small']}x (before this change: {results['before_large_over_small']}x); "
          f"written to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
