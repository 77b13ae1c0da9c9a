"""Time `pytest -m preexam` against the runbook's own pre-exam shell commands, same sandbox, same run.

    .venv/bin/python bench/bench_preexam.py [--rounds 5]

The two are run alternately (so a noisy machine slows both alike) and the
result is reported as a ratio of medians: examday / shell. Below 1.0 means
examday is faster while it also asserts every item and leaves evidence.
Figures are written to bench/results/preexam.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMDAY = [sys.executable, "-m", "pytest", "-m", "preexam", "-q", "-p", "no:cacheprovider", "--no-archive"]
SHELL = ["bash", str(REPO / "bench" / "runbook_preexam.sh")]


# An installed examday runs from compiled bytecode (pip compiles on install): a shell that
# sets PYTHONDONTWRITEBYTECODE would time Python compiling every module on every run.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300, env=ENV)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    timed(EXAMDAY)  # warm-up: writes the bytecode caches, as an install would
    examday, shell = [], []
    for round_number in range(1, rounds + 1):
        shell.append(timed(SHELL))
        examday.append(timed(EXAMDAY))
        print(f"round {round_number}/{rounds}: shell {shell[-1]:.2f} s, examday {examday[-1]:.2f} s", flush=True)
    result = {"rounds": rounds, "shell_median_s": round(statistics.median(shell), 3),
              "examday_median_s": round(statistics.median(examday), 3),
              "ratio_examday_over_shell": round(statistics.median(examday) / statistics.median(shell), 3)}
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "preexam.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
