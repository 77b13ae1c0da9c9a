"""`examday checklist` and `examday attest`: the catalog, and a person's word for a manual item."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import pytest
import typer
from pydantic import ValidationError

from examday.attestations import Attestation, append_attestation, evidence_reference
from examday.checklist import PHASES
from examday.checklist_files import pytest_args
from examday.cli.output import EXIT_USAGE, console, fail
from examday.config import load_config
from examday.errors import ExamdayError
from examday.signoff_files import first_problem


def checklist(phase: Optional[str] = typer.Option(None, help=f"one of {', '.join(PHASES)}"),
              target: Optional[Path] = typer.Option(None, help="examday.toml of the target")) -> None:
    """Print the checklist catalog (ID, phase, title, automated or attested) from the tests' metadata."""
    if phase is not None and phase not in PHASES:
        fail(f"unknown phase {phase!r}: choose one of {', '.join(PHASES)}")
    args = [*pytest_args(), "--examday-catalog", "-p", "no:terminal", "-p", "no:cacheprovider"]
    args += ["-m", phase] if phase else []
    args += ["--target", str(target)] if target else []
    code = pytest.main(args)
    if code not in (0, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise typer.Exit(EXIT_USAGE)


def attest(item_id: str = typer.Argument(..., help="e.g. PRE-COM-01"),
           by: str = typer.Option(..., "--by", help="who attests"),
           note: str = typer.Option(..., "--note", help="what was done"),
           evidence: Optional[str] = typer.Option(None, "--evidence", help="a file (fingerprinted) or a URL"),
           expires: Optional[dt.datetime] = typer.Option(None, help="when this stops counting (UTC)"),
           target: Optional[Path] = typer.Option(None, help="examday.toml of the target"),
           file: Optional[Path] = typer.Option(None, help="attestation file (default: the target's)")) -> None:
    """Record that a person did a manual checklist item."""
    try:
        config = load_config(target)
        path = file or config.attestations.file
        assert path is not None
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        attestation = Attestation(
            item=item_id, by=by, at=now, note=note,
            evidence=evidence_reference(evidence, Path.cwd()) if evidence else None,
            expires=expires.replace(tzinfo=dt.timezone.utc) if expires and expires.tzinfo is None else expires)
        append_attestation(path, attestation)
    except ExamdayError as error:  # the config or the attestation file
        fail(str(error))
    except ValidationError as error:  # a malformed ID, an empty note
        fail(f"invalid attestation: {first_problem(error)}")
    console.print(f"attested {item_id} by {by} at {now.isoformat()} in {path}")
