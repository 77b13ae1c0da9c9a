"""`examday init`: write a first, commented examday.toml from the platform's compose files."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from examday.cli.output import console, fail
from examday.errors import ExamdayError


def init(compose_files: List[Path] = typer.Argument(..., help="the platform's compose file(s), as `up` uses them"),
         env_files: List[Path] = typer.Option([], "--env-file", help="an env file compose reads (repeatable)"),
         name: Optional[str] = typer.Option(None, "--name", help="the target's name (default: the compose project's)"),
         output: Path = typer.Option(Path("examday.toml"), "--output", "-o", help="where to write it"),
         force: bool = typer.Option(False, "--force", help="overwrite an existing file")) -> None:
    """Write a commented examday.toml from compose: roles, API prefix, ports, how to reach the datastores."""
    from examday.init import discover, render_target
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
    found = discover(compose, raw_services(files))
    text = render_target(found, name or str(compose.get("name") or files[0].parent.name), files, envs)
    output.write_text(text, encoding="utf-8")
    guesses = sum(f.guess for f in [*found.containers.values(), *found.values.values()])
    console.print(f"wrote {escape(str(output))}: {len(found.containers)} containers, {guesses} guesses to check, "
                  f"{len(found.missing)} not found" + ("".join(f"\n  not found: {escape(k)} ({escape(w)})"
                                                           for k, w in found.missing)))


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
