"""Time `pytest -m preexam` against the runbook's pre-exam shell commands, same sandbox, same run.

    .venv/bin/python bench/bench_preexam.py [--rounds 5]

Fair to both sides:
- examday writes its record (as an operator runs it) and must end GO (exit 0); the shell
  (bench/runbook_preexam.sh) must exit 0 too, every command's exit code checked. A side that
  fails stops the bench: a fast run that read nothing is no figure.
- the shell calls compose once (v2 where it exists), asks Prometheus and Alertmanager, and
  sends a test alert and waits for its delivery and resolution, as PRE-MON-07 does.
- both get one untimed warm-up run, and the order alternates from round to round, so a noisy
  machine slows both alike.
- both sign in once a run (the shell to read the exam-mode report, examday as `[operator]`): the
  sandbox's rate-limit counters are forgotten before each run (untimed), since the platform allows
  5 sign-ins a minute per address and the bench runs faster than that.

The sandbox is put in its `preexam` stage (exam mode on, job lines out of the crontab) for the
run and back afterwards. The result is the ratio of medians, examday / shell: below 1.0, examday
is faster while it also judges every item and leaves a record. Written to bench/results/preexam.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "preexam.json"
SHELL = ["bash", str(REPO / "bench" / "runbook_preexam.sh")]
STAGE = "preexam"
COMMUNICATION_ITEMS = ("PRE-COM-01", "PRE-COM-02", "PRE-COM-03", "PRE-COM-04")

# An installed examday runs from compiled bytecode (pip compiles on install): a shell that
# sets PYTHONDONTWRITEBYTECODE would time Python compiling every module on every run.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def examday_argv(records: Path, attestations: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "-m", "preexam", "-q", "-p", "no:cacheprovider",
            f"--reports-dir={records}", f"--attestations={attestations}"]


def timed(name: str, argv: list[str]) -> float:
    """Seconds the command took; it must exit 0 (GO for examday)."""
    from examday.sandbox.lifecycle import Sandbox
    from examday.sandbox.rate_limits import forget_sign_in_limits

    forget_sign_in_limits(Sandbox.open())  # untimed: sandbox and staging, as examday's tests do
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300, env=ENV)
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench_preexam: {name} exited {done.returncode}, so its time is no figure:\n"
                 f"{(done.stdout + done.stderr)[-3000:]}")
    return took


def attested(folder: Path) -> Path:
    """The communication items attested (a person's word, not examday's), so a healthy run is GO."""
    from examday.attestations import attest_items

    return attest_items(folder / "attestations.toml", COMMUNICATION_ITEMS, "Bench Operator", "for the bench")


def at_stage(name: str) -> Callable[[], None]:
    """Bring the sandbox to stage `name`; returns how to bring it back."""
    from examday.sandbox.lifecycle import Sandbox
    from examday.sandbox.stages import apply_stage

    sandbox = Sandbox.open()
    previous = sandbox.state.stage()
    if previous != name:
        print(f"sandbox: stage {previous} -> {name}", flush=True)
        apply_stage(sandbox, name)
    return lambda: apply_stage(sandbox, previous) if previous != name else None


def alternate_rounds(rounds: int, sides: dict[str, list[str]]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in sides}
    for name, argv in sides.items():
        timed(name, argv)  # warm-up: bytecode caches, the engine's and the services' own
    for number in range(1, rounds + 1):
        order = list(sides) if number % 2 else list(reversed(sides))
        for name in order:
            times[name].append(timed(name, sides[name]))
        print(f"round {number}/{rounds}: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in sides), flush=True)
    return times


def compose_flavour() -> str:
    v2 = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return "docker compose (v2)" if v2.returncode == 0 else "docker-compose (v1)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    back = at_stage(STAGE)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-preexam-") as scratch:
            folder = Path(scratch)
            times = alternate_rounds(rounds, {"shell": SHELL,
                                              "examday": examday_argv(folder / "records", attested(folder))})
    finally:
        back()
    shell, examday = statistics.median(times["shell"]), statistics.median(times["examday"])
    result = {"rounds": rounds, "cpu": platform.processor() or platform.machine(),
              "python": platform.python_version(), "compose": compose_flavour(),
              "load_average_at_end": round(os.getloadavg()[0], 2),
              "shell_median_s": round(shell, 3), "examday_median_s": round(examday, 3),
              "ratio_examday_over_shell": round(examday / shell, 2),
              "shell_s": [round(t, 3) for t in times["shell"]], "examday_s": [round(t, 3) for t in times["examday"]]}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
