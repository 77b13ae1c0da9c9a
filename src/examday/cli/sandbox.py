"""`examday sandbox ...`: the local stand-in exam platform."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Optional, TypeVar

import typer
from rich.table import Table

from examday.cli.output import EXIT_FAILED, console, fail, progress
from examday.errors import ExamdayError
from examday.sandbox.errors import SandboxError
from examday.sandbox.faults import FAULTS, clear, inject
from examday.sandbox.lifecycle import Sandbox, endpoints
from examday.sandbox.stages import apply_stage
from examday.sandbox.startup import sandbox_reset, sandbox_up
from examday.sandbox.timeline import STAGES

app = typer.Typer(help="The local sandbox platform: up, down, status, stages and faults.",
                  no_args_is_help=True)
T = TypeVar("T")


def _run(title: str, action: Callable[[Sandbox], T]) -> T:
    """Run a sandbox action with progress; a SandboxError, or a file the sandbox could not write or
    read, becomes one message and exit 2."""
    with progress(title) as report:
        try:
            return action(Sandbox.open(report))
        except ExamdayError as exc:  # a SandboxError, or a probe the sandbox used
            fail(str(exc))
        except OSError as exc:  # the sandbox's own files: a full disk, an owner, a folder for a file
            fail(str(SandboxError(f"{exc.strerror or exc}: {exc.filename or 'a sandbox file'}",
                                  "put right what is at that path (its owner, free space, a folder where a "
                                  "file belongs) and run it again; `examday sandbox down` cleans up a "
                                  "half-started stack")))


def _print_endpoints(sandbox: Sandbox) -> None:
    table = Table(title="endpoints", show_header=False, box=None)
    for name, value in endpoints(sandbox.paths).items():
        table.add_row(name, value)
    console.print(table)


@app.command()
def up() -> None:
    """Build what is missing, start, wait for health, seed demo data."""
    sandbox = _run("examday sandbox up", lambda s: (sandbox_up(s), s)[1])
    _print_endpoints(sandbox)


@app.command()
def down(volumes: bool = typer.Option(False, "--volumes", help="also delete the data volumes")) -> None:
    """Stop and remove the sandbox's containers (data kept unless --volumes)."""
    _run("examday sandbox down", lambda s: s.down(volumes=volumes))


@app.command()
def reset() -> None:
    """Back to a freshly seeded sandbox: data, stage and faults wiped."""
    sandbox = _run("examday sandbox reset", lambda s: (sandbox_reset(s), s)[1])
    _print_endpoints(sandbox)


@app.command()
def status() -> None:
    """Each service's state and health, the stage, and active faults. Exit 1 if any is not ready."""
    sandbox = Sandbox.open()
    try:
        states = sandbox.status()
        expected = set(sandbox.expected_services())
    except ExamdayError as exc:  # a SandboxError, or a probe the sandbox used
        fail(str(exc))
    table = Table("service", "container", "state", "health", "restarts", "expected")
    for s in states:
        colour = "green" if s.ready else ("red" if s.service in expected else "yellow")
        table.add_row(s.service, s.container, f"[{colour}]{s.status}[/]", s.health or "-",
                      str(s.restart_count), "yes" if s.service in expected else "no (stage)")
    console.print(table)
    stage = sandbox.state.stage()
    console.print(f"stage: [bold]{stage}[/] ({STAGES[stage].summary})")
    faults = sandbox.state.faults()
    console.print("active faults: " + (", ".join(f"{n} (since {f['since']})" for n, f in faults.items())
                                        or "none"))
    if any(not s.ready for s in states if s.service in expected):
        raise typer.Exit(EXIT_FAILED)


@app.command()
def logs(service: Optional[str] = typer.Argument(None, help="compose service, e.g. backend"),
         tail: int = typer.Option(100, help="lines per container"),
         follow: bool = typer.Option(False, "--follow", "-f")) -> None:
    """Show the sandbox's container logs."""
    sandbox = Sandbox.open()
    try:
        argv = sandbox.compose.logs_argv(service, tail, follow)
    except ExamdayError as exc:  # a SandboxError, or a probe the sandbox used
        fail(str(exc))
    raise typer.Exit(subprocess.call(argv, cwd=sandbox.paths.root, env=sandbox.compose.env))


@app.command()
def stage(name: str = typer.Argument(..., help="normal | preexam | freeze | during | postexam")) -> None:
    """Walk the runbook's timeline: apply a stage the runbook's way."""
    _run(f"examday sandbox stage {name}", lambda s: apply_stage(s, name))


@app.command()
def fault(name: Optional[str] = typer.Argument(None, help="the fault to inject (or clear)"),
          clear_: bool = typer.Option(False, "--clear", help="undo NAME, or every active fault"),
          list_: bool = typer.Option(False, "--list", help="list the faults")) -> None:
    """Inject a reversible fault, or --clear it (all of them without NAME)."""
    if list_ or (name is None and not clear_):
        for fault_name, f in FAULTS.items():
            console.print(f"[bold]{fault_name:24}[/] {f.summary}")
        return
    if clear_:
        cleared = _run("examday sandbox fault --clear", lambda s: clear(s, name))
        console.print("cleared: " + (", ".join(cleared) or "nothing was active"))
        return
    assert name is not None
    _run(f"examday sandbox fault {name}", lambda s: inject(s, name))
