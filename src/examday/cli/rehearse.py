"""`examday rehearse`: the rehearsal phase (load and fault drills) with live progress, and its record.

With `--engine locust` the students run on Locust: `--processes N` workers on this machine, or
`--master --expect-workers K` with workers elsewhere, each started with `examday rehearse --worker
--master-host H` (examday.cli.locust_worker).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer

from examday.checklist_files import checklist_rootdir, pytest_args
from examday.cli.locust_worker import engine_args, serve_worker
from examday.cli.output import fail
from examday.cli.target import TARGET_HELP, config_or_fail
from examday.rehearsal.guard import drill_refusals

DRILLS = {"redis": "redis_outage", "worker": "worker_killed", "restart": "backend_restart",
          "latency": "database_latency", "database-down": "database_unresponsive",
          "full-restart": "full_system_restart", "rollback": "rollback"}


def rehearse(target: Optional[Path] = typer.Option(None, "--target", help=TARGET_HELP),
             drill: Optional[list[str]] = typer.Option(None, "--drill", help=f"only these: {', '.join(DRILLS)}"),
             production: bool = typer.Option(False, "--i-know-this-is-production",
                                             help="allow the drills against a target of kind production"),
             production_target: Optional[Path] = typer.Option(
                 None, "--production-target", help="the production target's examday.toml: its containers are refused"),
             sign_key: Optional[Path] = typer.Option(None, "--sign-key", help="sign the run's record"),
             engine: str = typer.Option("examday", "--engine", help="the load engine: examday (built in) or locust"),
             processes: Optional[int] = typer.Option(None, "--processes",
                                                     help="Locust worker processes on this machine (default 2; "
                                                          "0 with --master)"),
             master: bool = typer.Option(False, "--master", help="Locust: wait for workers from other machines"),
             expect_workers: Optional[int] = typer.Option(None, "--expect-workers",
                                                          help="Locust workers to wait for in all (with --master)"),
             master_bind_host: str = typer.Option("0.0.0.0", "--master-bind-host",
                                                  help="where the master listens for workers (with --master)"),
             master_port: int = typer.Option(5557, "--master-port", help="the master's port for its workers"),
             wait_for_workers: float = typer.Option(120.0, "--wait-for-workers",
                                                    help="seconds each drill waits for its Locust workers"),
             worker: bool = typer.Option(False, "--worker", help="run a Locust worker for a master elsewhere"),
             master_host: Optional[str] = typer.Option(None, "--master-host", help="the master a --worker joins"),
             ) -> None:
    """Play simulated students and the fault drills; exit 1 if a promise broke (the record says which)."""
    if worker:
        serve_worker(master_host, master_port)  # needs no target: the master sends everything
        return
    locust = engine_args(engine, processes, master, expect_workers, master_bind_host, master_port, wait_for_workers)
    config = config_or_fail(target)
    unknown = sorted(set(drill or []) - set(DRILLS))
    if unknown:
        fail(f"unknown drill {', '.join(unknown)}: choose from {', '.join(DRILLS)}")
    refusals = drill_refusals(config, config_or_fail(production_target) if production_target else None,
                              forced=production)
    if refusals:
        fail(f"refusing the drills against {config.target.name}: " + "; ".join(refusals))
    argv = [sys.executable, "-m", "pytest", *pytest_args(), "-m", "rehearsal", "-s", "-p", "no:cacheprovider",
            *locust]
    if config.source_path:
        argv += ["--target", str(config.source_path)]
    if drill:
        argv += ["-k", " or ".join(DRILLS[name] for name in drill)]
    if production:
        argv.append("--i-know-this-is-production")
    if production_target:
        argv += ["--production-target", str(production_target.absolute())]  # the child runs elsewhere
    if sign_key:
        argv += ["--sign-key", str(sign_key.absolute())]
    raise typer.Exit(subprocess.run(argv, cwd=checklist_rootdir()).returncode)
