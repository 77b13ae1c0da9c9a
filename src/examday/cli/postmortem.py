"""`examday postmortem`: the post-mortem of one exam from its records, then sealed once the lessons are in."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from examday.cli.output import EXIT_INTERNAL, console, fail
from examday.cli.target import TARGET_HELP, config_or_fail
from examday.errors import ExamdayError


def postmortem(exam: Optional[str] = typer.Argument(None, help="the exam's id (default: the target's [exam] id)"),
               complete: Optional[Path] = typer.Option(
                   None, "--complete", help="a post-mortem folder whose lessons.toml people have completed: seal it"),
               target: Optional[Path] = typer.Option(None, "--target", help=TARGET_HELP),
               reports_dir: Optional[Path] = typer.Option(
                   None, "--reports-dir", help="where the exam's records are (default: reports/ beside examday.toml)")
               ) -> None:
    """Build the post-mortem of an exam from every record it left; with --complete, seal a completed one."""
    from examday.postmortem import build_postmortem, complete_postmortem
    from examday.watch.charts import Limits

    config = config_or_fail(target)
    limits = Limits.of(config.thresholds)
    try:
        if complete is not None:
            folder = complete_postmortem(complete, limits)
            console.print(f"completed {escape(str(folder))}: sign it with `examday sign {escape(str(folder))} --key KEY`, "
                          "check it with `examday verify`")
            return
        which_exam = exam or (config.exam.id if config.exam else None)
        if not which_exam:
            fail("which exam? Give its id (`examday postmortem EXAM-ID`) or set [exam] id in the target's examday.toml")
        folder = build_postmortem(reports_dir or _default_reports(config), which_exam, limits)
    except ExamdayError as error:
        fail(str(error))
    except OSError as error:
        fail(f"could not write the post-mortem: {error}", EXIT_INTERNAL)
    console.print(f"post-mortem of {escape(which_exam)}: {escape(str(folder / 'postmortem.html'))}\n"
                  f"complete {escape(str(folder / 'lessons.toml'))} (resolution, prevention, runbook updates), then "
                  f"`examday postmortem --complete {escape(str(folder))}`")


def _default_reports(config) -> Path:  # noqa: ANN001 - ExamdayConfig
    base = config.source_path.parent if config.source_path else Path.cwd()
    return base.absolute() / "reports"
