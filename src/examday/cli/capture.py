"""`examday capture DIR`: the post-exam metrics bundle, read-only, redacted, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from examday.cli.output import EXIT_FAILED, EXIT_INTERNAL, console, fail, progress
from examday.cli.target import TARGET_HELP, config_or_fail
from examday.errors import ExamdayError

SINCE_HELP = "cover the last N minutes (default: since the exam's start when [exam] is set, else logs.window_minutes)"


def capture(directory: Path = typer.Argument(..., help="a new folder for the bundle, e.g. ./exam-metrics-20261128"),
            target: Optional[Path] = typer.Option(None, "--target", help=TARGET_HELP),
            minutes: Optional[float] = typer.Option(None, "--minutes", min=0.1, help=SINCE_HELP)) -> None:
    """Capture pool use, requests, Redis, resources, proxy and sessions into DIR (JSON + summary.html)."""
    from examday.capture.bundle import capture_window_start, write_bundle
    from examday.capture.sections import Sources
    from examday.probes import for_target
    from examday.report.redaction import Redactor
    from examday.facts.record_secrets import run_secrets

    config = config_or_fail(target)
    docker = for_target.docker_probe(config)  # one Docker client, also for docker_exec ways in
    probes = [docker, for_target.postgres_probe(config, docker), for_target.redis_probe(config, docker)]
    sources = Sources(config, *probes, since=capture_window_start(config, minutes))
    try:
        with progress(f"capturing metrics of {config.target.name} into {directory}") as report:
            result = write_bundle(directory, sources, Redactor(run_secrets(config)), report)
    except ExamdayError as error:  # the bundle's folder, or a probe that could not even start
        fail(str(error))
    except OSError as error:
        fail(f"could not write the bundle under {directory}: {error}", EXIT_INTERNAL)
    finally:
        for probe in probes:
            probe.close()
    console.print(f"captured {', '.join(result.sections) or 'nothing'} into {escape(str(result.path))}")
    if result.errors:
        for name, message in result.errors.items():
            console.print(f"[bold red]not captured[/] {name}: {escape(message)}")
        raise typer.Exit(EXIT_FAILED)
