"""`examday verify`, `examday sign` and `examday reports`: the records a run leaves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Column, Table

from examday.cli.output import EXIT_FAILED, console, fail
from examday.config import config_path
from examday.report.manifest import MANIFEST_NAME, check_manifest
from examday.report.signing import SIGNATURES_DIR, SigningError, sign as sign_manifest, signature_fingerprint
from examday.report.signing import key_comment, signer_file_name
from examday.report.verify import RecordCheck

RUN_DIR_HELP = "a record folder, e.g. reports/sandbox/2026-11-28/preexam-201500Z"


def verify(run_dir: Path = typer.Argument(..., help=RUN_DIR_HELP),
           allowed_signers: Optional[Path] = typer.Option(
               None, "--allowed-signers", help="ssh allowed_signers file: who may sign, by key")) -> None:
    """Check every file of a record against SHA256SUMS and every signature of it. Exit 1 names what differs."""
    from examday.report.verify import check_record

    _require_record(run_dir)
    if allowed_signers is not None and not allowed_signers.is_file():
        fail(f"--allowed-signers {allowed_signers}: no such file")
    try:
        check = check_record(run_dir, allowed_signers)
    except SigningError as error:
        fail(str(error))
    for line in check.lines():
        console.print(escape(line))
    if not check.ok:
        console.print(f"[bold red]NOT VERIFIED[/]: {escape(str(run_dir))} differs from what was recorded or signed")
        raise typer.Exit(EXIT_FAILED)
    signed = "signed" if check.signed else "unsigned"
    console.print(f"[bold green]VERIFIED[/]: every file of {escape(str(run_dir))} is as recorded ({signed})")


def sign(run_dir: Path = typer.Argument(..., help=RUN_DIR_HELP),
         key: Path = typer.Option(..., "--key", help="SSH private key (or its .pub when the key is in ssh-agent)"),
         signer: Optional[str] = typer.Option(None, "--signer", help="your name (default: the key's comment)")) -> None:
    """Add your signature to a record (signs its SHA256SUMS; the record must be intact)."""
    _require_record(run_dir)
    problems = check_manifest(run_dir)
    if problems:
        fail(f"refusing to sign a record that differs from its {MANIFEST_NAME}: {problems[0].describe()}",
             EXIT_FAILED)
    name = signer or key_comment(key) or os.environ.get("EXAMDAY_OPERATOR") or os.environ.get("USER") or key.stem
    signature = run_dir / SIGNATURES_DIR / signer_file_name(name)
    if signature.exists():
        fail(f"{signature} already exists: {name} has signed this record; give another --signer")
    try:
        sign_manifest(run_dir / MANIFEST_NAME, key, signature)
    except SigningError as error:
        fail(str(error))
    console.print(f"signed {escape(str(run_dir / MANIFEST_NAME))} as {escape(name)}: {escape(str(signature))} "
                  f"(key {signature_fingerprint(signature)})")


def reports(target: Optional[str] = typer.Option(None, help="only this target's records"),
            reports_dir: Optional[Path] = typer.Option(
                None, "--reports-dir", help="default: reports/ beside the examday.toml in use"),
            allowed_signers: Optional[Path] = typer.Option(
                None, "--allowed-signers", help="also check who signed, against this allowed_signers file")) -> None:
    """List past runs: verdict, items, signatures, and whether each record is intact."""
    from examday.report.listing import record_folders, summarise

    folder = reports_dir or config_path().absolute().parent / "reports"
    if allowed_signers is not None and not allowed_signers.is_file():
        fail(f"--allowed-signers {allowed_signers}: no such file")
    runs = record_folders(folder, target)
    if not runs:
        console.print(f"no records under {escape(str(folder))}" + (f" for target {escape(target)}" if target else ""))
        return
    table = Table(Column("run", overflow="fold", min_width=30), "phase", "verdict", "items", "signatures",
                  "verified", title=f"records in {folder}")
    try:
        for run in runs:
            summary = summarise(run, allowed_signers)
            table.add_row(escape(str(run.relative_to(folder))), escape(summary.phase), _verdict(summary.verdict),
                          str(summary.items), escape(_signatures(summary.check)), _verified(summary.check))
    except SigningError as error:
        fail(str(error))
    console.print(table)


def _require_record(run_dir: Path) -> None:
    if not run_dir.is_dir():
        fail(f"{run_dir}: no such folder (give a record folder, e.g. reports/<target>/<date>/<phase>-<time>Z)")


def _verdict(verdict: str) -> str:
    colour = {"GO": "green", "GO WITH WAIVERS": "yellow", "INCOMPLETE": "red", "NO-GO": "red"}.get(verdict, "white")
    return f"[{colour}]{escape(verdict)}[/]"


def _signatures(check: RecordCheck) -> str:
    if not check.signatures:
        return "unsigned"
    names = [Path(s.path).stem if s.principal is None else s.principal for s in check.signatures]
    return f"{len(names)}: {', '.join(names)}"


def _verified(check: RecordCheck) -> str:
    if check.ok:
        return "[green]yes[/]" if check.signed else "[green]hashes ok[/] (unsigned)"
    first = check.problems[0].describe() if check.problems else next(
        (s.describe() for s in check.signatures if not s.ok), "not signed")
    return f"[red]NO[/]: {escape(first)}"
