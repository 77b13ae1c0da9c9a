"""Shared terminal output: progress lines and the one-message error exit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

# Exit codes, documented in the README: 0 passed, 1 failed (NO-GO), 2 usage or
# configuration or environment error, 3 internal error.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@contextmanager
def progress(title: str) -> Iterator[Callable[[str], None]]:
    """Yield a reporter that prints each new step with the elapsed time.

    Plain lines rather than a spinner, so the same progress shows in CI logs.
    Consecutive repeats of the same message are printed once.
    """
    started = time.monotonic()
    last: list[str] = [""]

    def report(message: str) -> None:
        if message != last[0]:
            last[0] = message
            console.print(f"[dim]{time.monotonic() - started:6.1f}s[/] {message}")

    console.print(f"[bold]{title}[/]")
    yield report
