"""`examday init`: write a first, commented examday.toml from the platform's compose files."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from examday.cli.output import console, fail
from examday.errors import ExamdayError
from examday.init.found import Discovery


def init(compose_files: List[Path] = typer.Argument(..., help="the platform's compose file(s), as `up` uses them"),
         env_files: List[Path] = typer.Option([], "--env-file", help="an env file compose reads (repeatable)"),
         name: Optional[str] = typer.Option(None, "--name", help="the target's name (default: the compose project's)"),
         output: Path = typer.Option(Path("examday.toml"), "--output", "-o", help="where to write it"),
         force: bool = typer.Option(False, "--force", help="overwrite an existing file"),
         compose_only: bool = typer.Option(False, "--compose-only",
                                           help="read only the compose files, not the running containers")) -> None:
    """Write a commented examday.toml from compose (and the running stack): roles, API prefix, ports,
    monitoring, how to reach the datastores, and what it could not find with the key to set."""
    from examday.init import discover, finish, read_running, render_target
    from examday.probes.compose import resolved_compose_config

    for path in [*compose_files, *env_files]:
        if not path.is_file():
            fail(f"{path}: no such file")
    if output.exists() and not force:
        fail(f"{output} exists: give another --output, or --force to overwrite it")
    files = [path.absolute() for path in compose_files]
    envs = [path.absolute() for path in env_files]
    try:
        compose = resolved_compose_config(files, project_dir=files[0].parent, env_files=envs)
    except ExamdayError as error:
        fail(f"could not read the compose configuration: {error}")
    project = str(compose.get("name") or files[0].parent.name)
    found = discover(compose, raw_services(files), project=project)
    if not compose_only:
        read_stack(found)
    finish(found)
    text = render_target(found, name or project, files, envs)
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {escape(str(output))}: {len(found.containers)} containers, {found.guesses()} guesses to "
                  f"check, {len(found.missing)} not found" + "".join(f"\n  {escape(note)}" for note in found.notes)
                  + "".join(f"\n  {escape(missing.line())}" for missing in found.missing))


def read_stack(found: Discovery) -> None:
    """What the running containers add; an engine that does not answer is a note, not a failure."""
    from examday.init import read_running
    from examday.init.docker_stack import DockerStack

    stack = DockerStack()
    try:
        read_running(stack, found)
    finally:
        stack.close()


def raw_services(files: list[Path]) -> dict[str, dict]:
    """The services as the files write them (later files win per key, as compose merges them)."""
    import yaml

    merged: dict[str, dict] = {}
    for path in files:
        try:
            services = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("services") or {}
        except (OSError, yaml.YAMLError, AttributeError):
            continue  # compose config read it: what it said is what counts
        for name, spec in services.items():
            merged.setdefault(name, {}).update(spec or {})
    return merged
