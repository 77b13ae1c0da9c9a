"""`examday rehearse`: the rehearsal phase (load and fault drills) with live progress, and its record."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Optional

import typer

from examday.checklist_files import checklist_rootdir, pytest_args
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
             sign_key: Optional[Path] = typer.Option(None, "--sign-key", help="sign the run's record")) -> None:
    """Play simulated students and the fault drills; exit 1 if a promise broke (the record says which)."""
    config = config_or_fail(target)
    unknown = sorted(set(drill or []) - set(DRILLS))
    if unknown:
        fail(f"unknown drill {', '.join(unknown)}: choose from {', '.join(DRILLS)}")
    refusals = drill_refusals(config, config_or_fail(production_target) if production_target else None,
                              forced=production)
    if refusals:
        fail(f"refusing the drills against {config.target.name}: " + "; ".join(refusals))
    argv = [sys.executable, "-m", "pytest", *pytest_args(), "-m", "rehearsal", "-s", "-p", "no:cacheprovider"]
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
