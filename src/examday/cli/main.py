"""The `examday` command."""

from __future__ import annotations

import typer

from examday.cli import capture, checklist, init, postmortem, records, rehearse, sandbox, watch

app = typer.Typer(help="examday: the exam-day runbook as a test suite.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(sandbox.app, name="sandbox")
app.command()(checklist.checklist)
app.command()(checklist.attest)
app.command()(records.verify)
app.command()(records.sign)
app.command()(records.reports)
app.command()(watch.watch)
app.command()(capture.capture)
app.command()(rehearse.rehearse)
app.command()(postmortem.postmortem)
app.command()(init.init)

if __name__ == "__main__":
    app()
